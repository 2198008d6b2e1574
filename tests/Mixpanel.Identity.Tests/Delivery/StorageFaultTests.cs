using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The disk changing under the queue — a file held by another program, a folder deleted, damage, a clock that jumps —
/// never stops delivery for good, and every record lost to it is counted exactly.
/// </summary>
public sealed class StorageFaultTests
{
    [Fact]
    public async Task Flush_WhenASegmentCannotBeReadForAMoment_RetriesAndDeliversEverything()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.BatchSize = 100);
        for (var i = 0; i < 10; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.PersistAsync(DeliveryHarness.Patience);
        var segment = Directory.GetFiles(TrackFolder(harness), "*.seg").Single();

        // Another program holds the file: here it is swapped for a folder of its name, which cannot be opened as a file.
        File.Move(segment, segment + ".away");
        Directory.CreateDirectory(segment);
        var timers = harness.Time.TimersCreated;
        var flush = client.FlushAsync(DeliveryHarness.Patience);
        var retry = await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(2));
        Directory.Delete(segment);
        File.Move(segment + ".away", segment);
        harness.Time.Advance(retry);
        await flush;

        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(0, 10));
        client.Diagnostics.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task Track_AfterTheQueueFolderWasDeleted_GoesOnAndCountsExactlyWhatWasLost()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.BatchSize = 100);
        for (var i = 0; i < 5; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.PersistAsync(DeliveryHarness.Patience);
        Directory.Delete(Path.Combine(harness.StorageDirectory, "queue"), recursive: true);
        for (var i = 5; i < 12; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEquivalentTo(Enumerable.Range(5, 7));
        client.Diagnostics.GetDropped(DropReason.Corrupt).Should().Be(5, "the five records in the deleted files are gone, and counted");
        client.Diagnostics.Queued.Should().Be(0);
        Directory.GetFiles(TrackFolder(harness), "*.seg").Should().NotBeEmpty("the folder was made again");
        File.Exists(Path.Combine(TrackFolder(harness), FileRecordLog.CursorFileName)).Should().BeTrue("the cursor was written afresh");
    }

    [Fact]
    public async Task Start_WithDamageInTheMiddleOfASegment_DeliversEveryIntactRecordAndCountsTheOneLost()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await harness.Server.StopAsync();
        var client = harness.StartClient(options => options.BatchSize = 100);
        for (var i = 0; i < 10; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.PersistAsync(DeliveryHarness.Patience);
        await client.DisposeAsync();
        var segment = Directory.GetFiles(TrackFolder(harness), "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        var frame = RecordFrame.HeaderSize + BitConverter.ToInt32(bytes, 4);
        bytes.Length.Should().Be(10 * frame, "the records are alike in size");

        // The payload of the fourth record is garbled: its checksum no longer holds.
        bytes[(3 * frame) + RecordFrame.HeaderSize + 3] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        await harness.Server.RestartAsync();
        var next = harness.StartClient(options => options.BatchSize = 100);
        await next.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().HaveCount(9).And.NotContain(3);
        next.Diagnostics.GetDropped(DropReason.Corrupt).Should().Be(1);
        next.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task Flush_AfterTheWallClockJumpedFiveDaysAhead_ExpiresNothing()
    {
        // The server keeps the true time; the client's wall clock jumps while its monotonic clock does not.
        var serverTime = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        await using var server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = DeliveryHarness.Token, TimeProvider = serverTime });
        using var directory = new TempDirectory();
        var clock = new JumpingClock(serverTime.GetUtcNow());
        var options = new MixpanelOptions { ProjectToken = DeliveryHarness.Token, ApiHost = server.BaseAddress, StorageDirectory = directory.Path, FlushInterval = TimeSpan.FromHours(1) };
        await using var client = new MixpanelClient(options, timeProvider: clock);
        for (var i = 0; i < 3; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.PersistAsync(DeliveryHarness.Patience);
        clock.Jump(TimeSpan.FromDays(5) + TimeSpan.FromHours(1));

        await client.FlushAsync(DeliveryHarness.Patience);

        client.Diagnostics.GetDropped(DropReason.Expired).Should().Be(0);
        server.DeduplicatedRecords.Count(r => r.EventName == "Numbered").Should().Be(3);
    }

    [Fact]
    public async Task Idle_AfterDelivering_SetsNoTimerAtAll()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.FlushInterval = TimeSpan.FromSeconds(10));
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        await client.FlushAsync(DeliveryHarness.Patience);
        await client.PersistAsync(DeliveryHarness.Patience);
        var timers = harness.Time.TimersCreated;

        harness.Time.Advance(TimeSpan.FromDays(1));
        await client.PersistAsync(DeliveryHarness.Patience);

        harness.Time.TimersCreated.Should().Be(timers, "with nothing queued, no timer is armed: a day passes without a wake-up");
        harness.DeliveredNumbers().Should().Equal(1);
    }

    private static string TrackFolder(DeliveryHarness harness) => Path.Combine(harness.StorageDirectory, "queue", "0", "track");

    /// <summary>A clock whose wall time can jump while its monotonic time stays put, as when a user sets the date by hand.</summary>
    private sealed class JumpingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private TimeSpan _jumped;

        public void Jump(TimeSpan by) => _jumped += by;

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + _jumped;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => base.GetUtcNow().UtcTicks;
    }
}
