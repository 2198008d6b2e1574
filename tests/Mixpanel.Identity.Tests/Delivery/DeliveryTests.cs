using System.IO.Compression;
using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>Every response class Mixpanel gives, against a real local server: each accepted record arrives exactly once, each drop is counted.</summary>
public sealed class DeliveryTests
{
    [Fact]
    public async Task FlushAsync_On200_DeliversEveryRecordOnceToItsEndpoint()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Identify("U1");
        for (var i = 0; i < 120; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        client.People.Set("plan", "pro");
        client.GetGroup("company", "acme").Set(new Dictionary<string, object?> { ["size"] = 10 });

        await client.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(0, 120));
        harness.Server.Records.Count(r => r.EventName == "Numbered").Should().Be(120, "nothing was sent twice");
        harness.Server.DeduplicatedRecords.Should().ContainSingle(r => r.Endpoint == MixpanelEndpoint.Engage && r.DistinctId == "U1");
        harness.Server.DeduplicatedRecords.Should().ContainSingle(r => r.Endpoint == MixpanelEndpoint.Groups);
        client.Diagnostics.Sent.Should().Be(123);
        client.Diagnostics.Queued.Should().Be(0);
        client.Diagnostics.Dropped.Should().Be(0);

        var trackRequests = harness.Server.Requests.Where(r => r.Endpoint == MixpanelEndpoint.Track).ToList();
        trackRequests.Should().OnlyContain(r => r.RecordCount <= 50 && r.ContentEncoding == "gzip" && r.Ip && r.Verbose);
        harness.Server.Requests.Where(r => r.Endpoint != MixpanelEndpoint.Track).Should().OnlyContain(r => string.IsNullOrEmpty(r.ContentEncoding));
    }

    [Fact]
    public async Task FlushAsync_On400WithFailedRecords_DropsOnlyThoseAndDeliversTheRest()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        client.Track("From the future", new Dictionary<string, object?> { ["time"] = harness.Time.GetUtcNow().AddHours(3) });
        client.Track("Numbered", DeliveryHarness.Numbered(2));

        await client.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo([1, 2]);
        harness.Server.RejectedRecords.Should().ContainSingle().Which.Field.Should().Contain("time");
        client.Diagnostics.GetDropped(DropReason.Rejected).Should().Be(1);
        client.Diagnostics.Sent.Should().Be(2);
        client.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task FlushAsync_On400ForTheWholeBatch_SplitsToFindTheBadRecord()
    {
        await using var harness = await DeliveryHarness.StartAsync(options => options.RejectWholeBatchOnError = true);
        var client = harness.StartClient();
        for (var i = 0; i < 7; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        client.Track("From the future", new Dictionary<string, object?> { ["time"] = harness.Time.GetUtcNow().AddHours(3) });

        await client.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(0, 7));
        client.Diagnostics.GetDropped(DropReason.Rejected).Should().Be(1);
        client.Diagnostics.Sent.Should().Be(7);
    }

    [Fact]
    public async Task FlushAsync_On401_HaltsKeepsTheQueueAndANewClientDeliversIt()
    {
        await using var harness = await DeliveryHarness.StartAsync(options => options.ProjectToken = "the-real-token");
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await client.FlushAsync(DeliveryHarness.Patience);

        client.Diagnostics.IsDeliveryHalted.Should().BeTrue();
        client.Diagnostics.DeliveryHaltedStatusCode.Should().Be(401);
        client.Diagnostics.Queued.Should().Be(1);
        client.Diagnostics.Dropped.Should().Be(0);
        await client.DisposeAsync();

        harness.Server.Options.ProjectToken = DeliveryHarness.Token;
        var fixedClient = harness.StartClient();
        await fixedClient.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().Equal(1);
    }

    [Fact]
    public async Task FlushAsync_On413_HalvesTheBatchUntilItFits()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.Status(413), times: 2);
        var client = harness.StartClient();
        for (var i = 0; i < 10; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(0, 10));
        harness.Server.Requests.Count(r => r.StatusCode == 413).Should().Be(2);
        harness.Server.Requests.Should().HaveCount(5, "10 is halved to 5 + 5, and the first 5 to 2 + 3");
        client.Diagnostics.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task FlushAsync_On413ForOneRecord_DropsItAsTooLarge()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.Status(413));
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await client.FlushAsync(DeliveryHarness.Patience);

        client.Diagnostics.GetDropped(DropReason.TooLarge).Should().Be(1);
        client.Diagnostics.Queued.Should().Be(0);
        harness.DeliveredNumbers().Should().BeEmpty();
    }

    [Fact]
    public async Task FlushAsync_On429WithRetryAfter_WaitsExactlyThatLongThenDelivers()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.Status(429, retryAfter: TimeSpan.FromSeconds(30)));
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var timers = harness.Time.TimersCreated;

        var flush = client.FlushAsync(DeliveryHarness.Patience);
        await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(30));
        harness.Time.Advance(TimeSpan.FromSeconds(29));

        harness.Server.ReceivedRequestCount.Should().Be(1, "the retry waits for Retry-After");
        flush.IsCompleted.Should().BeFalse();
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        await flush;

        harness.DeliveredNumbers().Should().Equal(1);
        client.Diagnostics.Retried.Should().Be(1);
    }

    [Fact]
    public async Task FlushAsync_On429WithAnHttpDate_WaitsUntilThatDate()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.StatusWithRetryAfterDate(429, harness.Time.GetUtcNow().AddMinutes(2)));
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var timers = harness.Time.TimersCreated;

        var flush = client.FlushAsync(DeliveryHarness.Patience);
        var due = await harness.Time.WaitForTimerAsync(timers, due => due >= TimeSpan.FromSeconds(100) && due <= TimeSpan.FromSeconds(200));
        harness.Time.Advance(due);
        await flush;

        due.Should().BeCloseTo(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(1));
        harness.DeliveredNumbers().Should().Equal(1);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task FlushAsync_On5xx_RetriesWithBackoffAndJitterUntilDelivered(int status)
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.Status(status), times: 2);
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var timers = harness.Time.TimersCreated;

        var flush = client.FlushAsync(DeliveryHarness.Patience);
        var first = await harness.Time.WaitForTimerAsync(timers, DeliveryHarness.IsBackoff);
        timers = harness.Time.TimersCreated;
        harness.Time.Advance(first);
        var second = await harness.Time.WaitForTimerAsync(timers, DeliveryHarness.IsBackoff);
        harness.Time.Advance(second);
        await flush;

        first.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(3)).And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(7));
        second.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(5)).And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(9));
        harness.DeliveredNumbers().Should().Equal(1);
        client.Diagnostics.Retried.Should().Be(2);
        client.Diagnostics.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task FlushAsync_ManyBatchesWhileTheFirstIsRetried_DeliversEveryEventOnceInTheOrderTracked()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.DropResponse()).Enqueue(ServerFault.Status(503));
        var client = harness.StartClient();
        for (var i = 0; i < 250; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await harness.FlushThroughBackoffsAsync(client, backoffs: 2);

        harness.DeliveredNumbers().Should().Equal(Enumerable.Range(0, 250), "batches go out one at a time, in the order they were leased");
        harness.Server.Records.Should().HaveCount(300, "only the batch whose answer was lost arrived twice");
        client.Diagnostics.Sent.Should().Be(250);
        client.Diagnostics.Retried.Should().Be(2);
        client.Diagnostics.Queued.Should().Be(0);
        client.Diagnostics.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task FlushAsync_WhenTheConnectionDropsMidRequest_RetriesAndDeliversOnce()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.DropConnection());
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await harness.FlushThroughBackoffsAsync(client);

        harness.DeliveredNumbers().Should().Equal(1);
        client.Diagnostics.Retried.Should().Be(1);
    }

    [Fact]
    public async Task FlushAsync_WhenTheAcknowledgementIsLost_TheResentEventIsDeduplicated()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.DropResponse());
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await harness.FlushThroughBackoffsAsync(client);

        harness.Server.Records.Should().HaveCount(2, "the batch arrived twice");
        harness.Server.Records.Select(r => r.InsertId).Distinct().Should().ContainSingle("a retry resends the same $insert_id");
        harness.DeliveredNumbers().Should().Equal(1);
    }

    [Theory]
    [InlineData(ServerFaultKind.NeverRespond)]
    [InlineData(ServerFaultKind.StallBody)]
    public async Task FlushAsync_WhenARequestTimesOut_RetriesAndDelivers(ServerFaultKind stall)
    {
        // No answer at all, or a 200 whose body stops half-way: either way the request's timeout applies.
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(stall == ServerFaultKind.NeverRespond ? ServerFault.NeverRespond() : ServerFault.StallBody());
        var client = harness.StartClient(options => options.RequestTimeout = TimeSpan.FromSeconds(20));
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var timers = harness.Time.TimersCreated;

        var flush = client.FlushAsync(DeliveryHarness.Patience);
        await harness.Server.WaitForAsync(server => server.HeldRequestCount == 1, DeliveryHarness.Patience);
        await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(20));
        timers = harness.Time.TimersCreated;
        harness.Time.Advance(TimeSpan.FromSeconds(20));
        harness.Time.Advance(await harness.Time.WaitForTimerAsync(timers, DeliveryHarness.IsBackoff));
        await flush;

        harness.DeliveredNumbers().Should().Equal(1);
        client.Diagnostics.Retried.Should().Be(1);
    }

    [Fact]
    public async Task Offline_RecordsWaitOnDiskAndGoOutWhenTheServerIsBack_WithNoCallFromTheApp()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await harness.Server.StopAsync();
        var client = harness.StartClient(options => options.FlushInterval = TimeSpan.FromMinutes(2));
        for (var i = 0; i < 5; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        // The periodic send, once the interval has passed, finds the server down and backs off.
        await client.PersistAsync(DeliveryHarness.Patience);
        var timers = harness.Time.TimersCreated;
        harness.Time.Advance(TimeSpan.FromMinutes(2));
        var backoff = await harness.Time.WaitForTimerAsync(timers, DeliveryHarness.IsBackoff);
        client.Diagnostics.Persisted.Should().Be(5);
        Directory.GetFiles(Path.Combine(harness.StorageDirectory, "queue", "0", "track"), "*.seg").Should().NotBeEmpty();

        await harness.Server.RestartAsync();
        harness.Time.Advance(backoff);
        await harness.Server.WaitForAsync(_ => harness.DeliveredNumbers().Count == 5, DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(0, 5));
        client.Diagnostics.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task BatchSize_WhenABatchFills_SendsWithoutWaitingForTheInterval()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.BatchSize = 10);

        for (var i = 0; i < 10; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await harness.Server.WaitForAsync(_ => harness.DeliveredNumbers().Count == 10, DeliveryHarness.Patience);
        harness.Server.Requests.Should().ContainSingle().Which.RecordCount.Should().Be(10);
    }

    [Fact]
    public async Task EventsOlderThanFiveDays_AreDroppedAsExpiredNotSent()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        await client.DisposeAsync();

        harness.Time.Advance(TimeSpan.FromDays(5) + TimeSpan.FromMinutes(1));
        var later = harness.StartClient();
        later.Track("Numbered", DeliveryHarness.Numbered(2));
        await later.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().Equal(2);
        later.Diagnostics.GetDropped(DropReason.Expired).Should().Be(1);
        later.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task MaxQueueSize_WhenFull_DropsTheOldestAndCountsThem()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.MaxQueueSize = 5);
        for (var i = 0; i < 8; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo([3, 4, 5, 6, 7]);
        client.Diagnostics.GetDropped(DropReason.QueueFull).Should().Be(3);
        client.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task InMemoryStorage_DeliversWithoutTouchingTheDisk()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.Storage = StorageMode.Memory);
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await client.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().Equal(1);
        client.Diagnostics.IsDurable.Should().BeFalse();
        Directory.EnumerateFileSystemEntries(harness.StorageDirectory).Should().BeEmpty();
    }

    [Fact]
    public async Task TrackRequests_AreValidGzipOfAJsonArray()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        await client.FlushAsync(DeliveryHarness.Patience);

        var request = harness.Server.Requests.Single();
        using var gzip = new GZipStream(new MemoryStream(request.Body.ToArray()), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var json = await reader.ReadToEndAsync();
        json.Should().StartWith("[{\"event\":\"Numbered\"").And.EndWith("}]");
        request.ContentType.Should().StartWith("application/json");
    }
}
