using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>A started server on a fake clock, with a plain HTTP client pointed at it.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(LocalMixpanelServer server, FakeTimeProvider clock)
    {
        Server = server;
        Clock = clock;
        Client = new RawPoster(server);
    }

    public LocalMixpanelServer Server { get; }

    public FakeTimeProvider Clock { get; }

    public RawPoster Client { get; }

    /// <summary>A safety net for waits, so a broken test fails instead of hanging; never an assertion on time.</summary>
    public static CancellationToken Patience => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public static async Task<RunningServer> StartAsync(Action<LocalMixpanelServerOptions>? configure = null)
    {
        var clock = SampleRecords.Clock();
        var options = new LocalMixpanelServerOptions { TimeProvider = clock, ProjectToken = SampleRecords.Token };
        configure?.Invoke(options);
        return new RunningServer(await LocalMixpanelServer.StartAsync(options), clock);
    }

    /// <summary>Posts <paramref name="record"/> alone to <paramref name="path"/>, which must reject it with a 400 and record nothing.</summary>
    /// <returns>The one rejection the server recorded.</returns>
    public async Task<RejectedRecord> PostRejectedAsync(string path, JsonObject record)
    {
        var answer = await Client.PostAsync(path, SampleRecords.Batch(record));
        answer.StatusCode.Should().Be(400, answer.Body);
        Server.Records.Should().BeEmpty();
        return Server.RejectedRecords.Should().ContainSingle().Subject;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}
