using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>Answers outside what Mixpanel documents, from a scripted HTTP server on loopback, on a fake clock.</summary>
public sealed class ResponseHandlingTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ObservableTimeProvider _time = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A200SayingStatus0WithFailedRecords_DropsOnlyTheNamedRecordInOneRequest()
    {
        const string Rejection =
            "{\"status\":0,\"error\":\"some data points in the request failed validation\",\"failed_records\":[{\"index\":1,\"field\":\"properties.time\",\"message\":\"too far in the future\"}]}";
        await using var server = new ScriptedHttpServer(index => index == 0 ? ScriptedHttpServer.Response(200, Rejection) : ScriptedHttpServer.Response(200, "{\"status\":1}"));
        await using var client = CreateSut(server);
        client.Track("a");
        client.Track("b");
        client.Track("c");

        await client.FlushAsync(DeliveryHarness.Patience);

        server.Requests.Should().Be(1);
        client.Diagnostics.GetDropped(DropReason.Rejected).Should().Be(1);
        client.Diagnostics.Sent.Should().Be(2);
    }

    [Fact]
    public async Task A400NamingNoRecordOfTheBatch_SplitsItInsteadOfResendingItAsItWas()
    {
        await using var server = new ScriptedHttpServer(_ => ScriptedHttpServer.Response(400, "{\"error\":\"x\",\"status\":0,\"failed_records\":[],\"num_records_imported\":0}"));
        await using var client = CreateSut(server);
        client.Track("a");
        client.Track("b");

        await client.FlushAsync(DeliveryHarness.Patience);

        server.Requests.Should().Be(3, "the pair, then each record alone");
        client.Diagnostics.GetDropped(DropReason.Rejected).Should().Be(2);
        client.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task After401_NothingMoreIsSentEvenOnLaterFlushes()
    {
        await using var server = new ScriptedHttpServer(index => index < 3
            ? ScriptedHttpServer.Response(401, "{\"error\":\"Invalid token\",\"status\":0}")
            : ScriptedHttpServer.Response(200, "{\"status\":1}"));
        await using var client = CreateSut(server);
        client.Track("a");

        await client.FlushAsync(DeliveryHarness.Patience);
        client.Track("b");
        await client.FlushAsync(DeliveryHarness.Patience);
        await client.FlushAsync(DeliveryHarness.Patience);

        client.Diagnostics.IsDeliveryHalted.Should().BeTrue();
        server.Requests.Should().Be(1, "a refused token stops sending");
        client.Diagnostics.Queued.Should().Be(2, "the records stay queued for a client with a working token");
    }

    private MixpanelClient CreateSut(ScriptedHttpServer server, Action<MixpanelOptions>? configure = null)
    {
        var options = new MixpanelOptions
        {
            ProjectToken = "scripted-token",
            ApiHost = server.BaseAddress,
            StorageDirectory = _directory.Path,
            ShutdownTimeout = TimeSpan.Zero,
            FlushInterval = TimeSpan.FromHours(1),
            RequestTimeout = TimeSpan.FromMinutes(5),
            UseGzip = false,
        };
        configure?.Invoke(options);
        return new MixpanelClient(options, timeProvider: _time);
    }
}
