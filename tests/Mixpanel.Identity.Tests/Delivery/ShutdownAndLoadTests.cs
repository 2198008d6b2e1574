using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

public sealed class ShutdownAndLoadTests
{
    [Fact]
    public async Task FlushAndDispose_AgainstAServerThatNeverAnswers_ReturnWithinTheirBoundsAndTheNextClientDelivers()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Always(ServerFault.NeverRespond());
        var client = harness.StartClient(options => options.ShutdownTimeout = TimeSpan.FromSeconds(5));
        for (var i = 0; i < 3; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        // FlushAsync returns when its token is cancelled.
        using (var giveUp = new CancellationTokenSource())
        {
            var flush = client.FlushAsync(giveUp.Token);
            await harness.Server.WaitForAsync(server => server.HeldRequestCount == 1, DeliveryHarness.Patience);
            await giveUp.CancelAsync();
            await flush.Invoking(async f => await f).Should().ThrowAsync<OperationCanceledException>();
        }

        // DisposeAsync returns once ShutdownTimeout has passed on the client's clock.
        var timers = harness.Time.TimersCreated;
        var disposal = client.DisposeAsync().AsTask();
        await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(5));
        disposal.IsCompleted.Should().BeFalse();
        harness.Time.Advance(TimeSpan.FromSeconds(5));
        await disposal.WaitAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEmpty();
        harness.Server.Faults.Clear();
        var next = harness.StartClient();
        await next.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo([0, 1, 2]);
        next.Diagnostics.Sent.Should().Be(3);
    }

    [Fact]
    public async Task Dispose_WithTheServerDown_KeepsRecordsOnDiskForTheNextClient()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await harness.Server.StopAsync();
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(7));

        client.Dispose();

        await harness.Server.RestartAsync();
        var next = harness.StartClient();
        await next.FlushAsync(DeliveryHarness.Patience);
        harness.DeliveredNumbers().Should().Equal(7);
    }

    [Fact]
    public async Task Track_200000InATightLoopOnOneThread_DeliversEveryOneExactlyOnceAndDropsNothing()
    {
        const int Events = 200_000;
        await using var harness = await DeliveryHarness.StartAsync(options => options.RetainRecords = false);
        var client = harness.StartClient(options => Bounds(options, Events));

        for (var i = 0; i < Events; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.FlushAsync(DeliveryHarness.Patience);

        client.Diagnostics.Dropped.Should().Be(0);
        client.Diagnostics.Sent.Should().Be(Events);
        harness.Server.AcceptedRecordCount.Should().Be(Events, "every event arrived, and none twice");
        harness.Server.RejectedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Track_From8ThreadsWhileFlushesRun_DeliversAll160000ExactlyOnce()
    {
        const int Threads = 8;
        const int PerThread = 20_000;
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => Bounds(options, Threads * PerThread));
        using var stop = new CancellationTokenSource();

        var flusher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await client.FlushAsync(stop.Token).ConfigureAwait(false);
            }
        });
        var producers = Enumerable.Range(0, Threads).Select(thread => Task.Run(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                client.Track("Numbered", DeliveryHarness.Numbered((thread * PerThread) + i));
            }
        })).ToArray();

        await Task.WhenAll(producers);
        await client.FlushAsync(DeliveryHarness.Patience);
        await stop.CancelAsync();
        try
        {
            await flusher;
        }
        catch (OperationCanceledException)
        {
            // The last flush was cut short by the stop.
        }

        var delivered = harness.DeliveredNumbers();
        delivered.Should().HaveCount(Threads * PerThread);
        delivered.Should().OnlyHaveUniqueItems();
        harness.Server.Records.Count.Should().Be(Threads * PerThread, "no batch was sent twice");
        client.Diagnostics.Sent.Should().Be(Threads * PerThread);
        client.Diagnostics.Dropped.Should().Be(0);
    }

    /// <summary>The app's own bounds, at least the burst: a record takes about 300 bytes on disk.</summary>
    private static void Bounds(MixpanelOptions options, int events)
    {
        options.MaxQueueSize = events;
        options.MaxQueueBytes = events * 1024L;
    }
}
