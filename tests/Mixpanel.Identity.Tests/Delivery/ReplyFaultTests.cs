using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// Answers that are not Mixpanel's — a proxy's, a captive portal's, a redirect, a refusal naming nothing — never
/// delete a record: they are retried or halt delivery, and the records stay.
/// </summary>
public sealed class ReplyFaultTests
{
    [Theory]
    [InlineData(407, "Proxy Authentication Required")]
    [InlineData(300, "Multiple Choices")]
    [InlineData(409, "{\"error\":\"conflict\",\"status\":0}")]
    [InlineData(200, "<html><body>Sign in to continue</body></html>")]
    public async Task Flush_AnAnswerThatIsNotMixpanels_KeepsTheRecordsAndDeliversThemOnceItClears(int status, string body)
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.Answer(status, body));
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await harness.FlushThroughBackoffsAsync(client);

        harness.DeliveredNumbers().Should().Equal(1);
        client.Diagnostics.Dropped.Should().Be(0);
        client.Diagnostics.Retried.Should().Be(1);
    }

    [Theory]
    [InlineData(302)]
    [InlineData(307)]
    public async Task Flush_ARedirect_IsNeverFollowedAndTheBodyGoesNowhereElse(int status)
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var login = new Uri(harness.Server.BaseAddress, "login?next=/track");
        harness.Server.Faults.Enqueue(ServerFault.Answer(status, "<html>Redirecting</html>", location: login));
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await harness.FlushThroughBackoffsAsync(client);

        harness.Server.Requests.Should().HaveCount(2).And.OnlyContain(r => r.Endpoint == MixpanelEndpoint.Track, "the redirect's target was never asked");
        harness.DeliveredNumbers().Should().Equal(1);
        client.Diagnostics.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task Flush_A200SayingStatus0AndNamingNoRecord_HaltsAndKeepsEveryRecord()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Always(ServerFault.Answer(200, "{\"status\":0,\"error\":\"token, missing or empty\"}", "application/json"));
        var client = harness.StartClient();
        for (var i = 0; i < 5; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.FlushAsync(DeliveryHarness.Patience);

        client.Diagnostics.IsDeliveryHalted.Should().BeTrue();
        client.Diagnostics.Queued.Should().Be(5);
        client.Diagnostics.Dropped.Should().Be(0);
        harness.Server.Requests.Should().ContainSingle("a refusal of the whole request is not split record by record");
        await client.DisposeAsync();

        harness.Server.Faults.Clear();
        var next = harness.StartClient();
        await next.FlushAsync(DeliveryHarness.Patience);
        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(0, 5));
    }

    [Fact]
    public async Task Flush_OneEndpointFailingWithoutEnd_NeverDelaysTheOthers()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Always(ServerFault.Status(503), MixpanelEndpoint.Engage);
        var client = harness.StartClient(options => options.BatchSize = 5);
        client.Identify("U1");
        client.People.Set("plan", "pro");
        using var giveUp = new CancellationTokenSource();
        var flush = client.FlushAsync(giveUp.Token);
        await harness.Server.WaitForAsync(server => server.Requests.Any(r => r.Endpoint == MixpanelEndpoint.Engage), DeliveryHarness.Patience);

        // /engage is now waiting to retry; events keep flowing, batch after batch, with no time passing.
        for (var i = 0; i < 20; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await harness.Server.WaitForAsync(_ => harness.DeliveredNumbers().Count == 20, DeliveryHarness.Patience);
        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(0, 20));
        harness.Server.DeduplicatedRecords.Should().NotContain(r => r.Endpoint == MixpanelEndpoint.Engage, "the profile update waits for /engage, kept");
        flush.IsCompleted.Should().BeFalse();
        await giveUp.CancelAsync();
        await flush.Invoking(async f => await f).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Logs_WhatEverTheServerAnswers_NeverCarryItsText()
    {
        const string Secret = "card-4111-1111";
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults
            .Enqueue(ServerFault.Answer(400, $"{{\"error\":\"{Secret}\",\"failed_records\":[{{\"index\":0,\"field\":\"{Secret}\",\"message\":\"{Secret}\"}}],\"status\":0}}", "application/json"))
            .Enqueue(ServerFault.Answer(503, Secret))
            .Enqueue(ServerFault.Answer(200, $"{{\"status\":0,\"error\":\"{Secret}\"}}", "application/json"));
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace));
        await using var client = new MixpanelClient(harness.Options(), timeProvider: harness.Time, loggerFactory: loggerFactory);

        // A refusal naming the record, then a failure, then a refusal of the whole request, each with the secret in it.
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        await client.FlushAsync(DeliveryHarness.Patience);
        client.Track("Numbered", DeliveryHarness.Numbered(2));
        await harness.FlushThroughBackoffsAsync(client);

        client.Diagnostics.GetDropped(DropReason.Rejected).Should().Be(1);
        client.Diagnostics.IsDeliveryHalted.Should().BeTrue("the third answer refuses the request as a whole");
        logs.GetSnapshot().Should().NotBeEmpty();
        logs.GetSnapshot().Should().NotContain(log => log.Message.Contains(Secret, StringComparison.Ordinal) ||
                                                       (log.Exception != null && log.Exception.ToString().Contains(Secret, StringComparison.Ordinal)));
    }
}
