using System.Globalization;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The writer alone, over a queue in a temp folder: records gathered in a group per endpoint and written when due,
/// segments that roll and are never left empty, a pause after a failed write that tells the intake and loses nothing,
/// the queue's bounds, an opt-out's purge, and events aged into the <c>/import</c> log.
/// </summary>
public sealed class RecordWriterTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly DeliveryCounters _counters = new();
    private readonly Intake _intake;
    private RecordWriter? _writer;

    public RecordWriterTests() => _intake = new Intake(new AsyncSignal(), _time, 8 * 1024 * 1024, 50);

    private string SlotPath => _folder.Combine("queue", "0");

    [Fact]
    public void TryCommit_AfterRecordsForEachEndpoint_AppendsEachToItsOwnLogInOrder()
    {
        var writer = CreateSut();
        writer.Write(Event("first"), PropertyMap.Empty);
        writer.Write(new ProfileRecord(new ProfileUpdate(ProfileOperation.Set, QueueFrames.Properties(("plan", "pro"))), "user-1", "device-1"), PropertyMap.Empty);
        writer.Write(new GroupRecord(new ProfileUpdate(ProfileOperation.Set, QueueFrames.Properties(("size", 10))), "company", "acme"), PropertyMap.Empty);
        writer.Write(Event("second"), PropertyMap.Empty);

        writer.GroupCount.Should().Be(4);
        writer.Queue.Count.Should().Be(0, "records gather in memory until they are written");
        writer.TryCommit(final: false, out var trimmed).Should().BeTrue();

        trimmed.Should().Be(0);
        writer.GroupCount.Should().Be(0);
        _counters.Persisted.Should().Be(4);
        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal("first", "second");
        QueueFrames.Payloads(writer.Queue[RecordEndpoint.Engage]).Should().ContainSingle().Which.GetProperty("$distinct_id").GetString().Should().Be("user-1");
        QueueFrames.Payloads(writer.Queue[RecordEndpoint.Groups]).Should().ContainSingle().Which.GetProperty("$group_id").GetString().Should().Be("acme");
        writer.Queue[RecordEndpoint.Import].UnreadCount.Should().Be(0);
    }

    [Fact]
    public async Task TryCommit_NotDurable_LeavesTheRecordsReadableAndCountsThemStoredOnceTheDiskHasThem()
    {
        var wake = new AsyncSignal();
        var writer = CreateSut(wake: wake);
        writer.Write(Event("first"), PropertyMap.Empty);
        writer.Write(Event("second"), PropertyMap.Empty);

        writer.TryCommit(final: false, out _, durable: false).Should().BeTrue();

        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal(["first", "second"], "they are readable, to be sent, while the disk flushes them");
        _counters.Persisted.Should().Be(0, "nothing counts as stored before the disk has it");
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await wake.WaitAsync(patience.Token);
        writer.CompleteSyncs();
        _counters.Persisted.Should().Be(2, "the flush's end woke the loop, which counted what it made durable");
        writer.Queue.IsSynced.Should().BeTrue();
    }

    [Fact]
    public void ShouldCommit_GathersUntilThePersistIntervalUnlessAFlushOrAFullBatchWantsThemNow()
    {
        var writer = CreateSut(options => options.PersistInterval = TimeSpan.FromMilliseconds(100));
        writer.ShouldCommit(flushing: true, NeverFills).Should().BeFalse("nothing waits");
        writer.DueAt.Should().Be(long.MaxValue);

        writer.Write(Event("e"), PropertyMap.Empty);

        writer.DueAt.Should().Be(_time.GetTimestamp() + (long)(0.1 * _time.TimestampFrequency));
        writer.ShouldCommit(flushing: false, NeverFills).Should().BeFalse();
        writer.ShouldCommit(flushing: true, NeverFills).Should().BeTrue();
        writer.ShouldCommit(flushing: false, (endpoint, waiting) => endpoint == RecordEndpoint.Track && waiting == 1).Should().BeTrue();
        _time.Advance(TimeSpan.FromMilliseconds(100));
        writer.ShouldCommit(flushing: false, NeverFills).Should().BeTrue();
    }

    [Fact]
    public void TryCommit_ManyGroupsOnDisk_RollsSegmentsNoneEmptyAndReadsBackEveryRecordInOrder()
    {
        var writer = CreateSut(segmentBytes: 2 * 1024);
        for (var group = 0; group < 8; group++)
        {
            for (var i = 0; i < 5; i++)
            {
                writer.Write(Event($"e{(group * 5) + i}", padding: 200), PropertyMap.Empty);
            }

            writer.TryCommit(final: false, out _).Should().BeTrue();
        }

        var segments = Directory.GetFiles(Path.Combine(SlotPath, "track"), "*" + FileRecordLog.SegmentExtension);
        segments.Should().HaveCountGreaterThan(2, "forty records of over 200 bytes fill several segments of 2 KiB");
        segments.Select(path => new FileInfo(path).Length).Should().NotContain(0);
        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal(Enumerable.Range(0, 40).Select(i => $"e{i}"));
    }

    [Fact]
    public void TryCommit_WhileTheDiskFails_PausesDoublingTellsTheIntakeAndWritesEverythingOnceItRecovers()
    {
        var writer = CreateSut();
        var blocked = BlockSegments(Path.Combine(SlotPath, "track"));
        writer.Write(Event("a"), PropertyMap.Empty);
        writer.Write(Event("b"), PropertyMap.Empty);

        writer.TryCommit(final: false, out _).Should().BeFalse();
        writer.IsPaused.Should().BeTrue();
        writer.RetryAt.Should().Be(Timestamp(TimeSpan.FromSeconds(1)));
        _intake.StorageFailing.Should().BeTrue("Track stops waiting for room while nothing can be written");
        writer.GroupCount.Should().Be(2, "nothing is lost");

        // Within the pause the disk is not tried; after it, a second failure doubles the pause.
        writer.Write(Event("c"), PropertyMap.Empty);
        writer.TryCommit(final: false, out _).Should().BeFalse();
        writer.RetryAt.Should().Be(Timestamp(TimeSpan.FromSeconds(1)));
        _time.Advance(TimeSpan.FromSeconds(1));
        writer.TryCommit(final: false, out _).Should().BeFalse();
        writer.RetryAt.Should().Be(Timestamp(TimeSpan.FromSeconds(2)));

        Unblock(blocked);
        _time.Advance(TimeSpan.FromSeconds(2));
        writer.TryCommit(final: false, out _).Should().BeTrue();

        _intake.StorageFailing.Should().BeFalse();
        writer.IsPaused.Should().BeFalse();
        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal("a", "b", "c");
        Directory.GetFiles(Path.Combine(SlotPath, "track"), "*" + FileRecordLog.SegmentExtension).Select(path => new FileInfo(path).Length)
            .Should().NotContain(0, "a failed write leaves no empty segment behind");
        _counters.GetDropped(DropReason.QueueFull).Should().Be(0);
    }

    [Fact]
    public void TryCommit_WhenOneLogFailsAndTheOthersAreWritten_WritesOnlyWhatWasLeftOnceTheDiskRecovers()
    {
        var writer = CreateSut();
        var blocked = BlockSegments(Path.Combine(SlotPath, "engage"));
        writer.Write(Event("event"), PropertyMap.Empty);
        writer.Write(new ProfileRecord(new ProfileUpdate(ProfileOperation.Set, QueueFrames.Properties(("plan", "pro"))), "user-1", "device-1"), PropertyMap.Empty);

        writer.TryCommit(final: false, out _).Should().BeFalse();
        writer.GroupCount.Should().Be(1, "the event was written; the profile update waits");

        Unblock(blocked);
        _time.Advance(TimeSpan.FromSeconds(1));
        writer.TryCommit(final: false, out _).Should().BeTrue();

        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal(["event"], "nothing is written twice");
        writer.Queue[RecordEndpoint.Engage].UnreadCount.Should().Be(1);
        _counters.Persisted.Should().Be(2);
    }

    [Fact]
    public void Write_AfterTheAppGaveDeviceInfo_PutsItAmongTheDefaultPropertiesOfTheRecordsFromThen()
    {
        var writer = CreateSut(options => options.SendDefaultProperties = true);
        writer.Write(Event("before"), PropertyMap.Empty);
        writer.Write(Event("after"), QueueFrames.Properties(("$screen_width", 1920)));
        writer.TryCommit(final: false, out _);

        var properties = QueueFrames.Payloads(writer.Queue[RecordEndpoint.Track]).Select(static record => record.GetProperty("properties")).ToList();
        properties[0].TryGetProperty("$screen_width", out _).Should().BeFalse();
        properties[1].GetProperty("$screen_width").GetInt32().Should().Be(1920);
    }

    [Fact]
    public void PauseForDisk_AfterEachFailure_DoublesThePauseUpToThirtySeconds()
    {
        var writer = CreateSut(onDisk: false);
        var pauses = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            writer.PauseForDisk(new IOException("No space left on device"));
            pauses.Add((writer.RetryAt - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
        }

        pauses.Should().Equal(1, 2, 4, 8, 16, 30, 30);
    }

    [Fact]
    public void TryCommit_OnTheFinalPassOnAFailingDisk_DropsWhatItCannotWriteCounted()
    {
        var writer = CreateSut();
        BlockSegments(Path.Combine(SlotPath, "track"));
        writer.Write(Event("a"), PropertyMap.Empty);
        writer.Write(Event("b"), PropertyMap.Empty);
        writer.PauseForDisk(new IOException("No space left on device"));

        writer.TryCommit(final: true, out _).Should().BeTrue("the last pass before exit does not wait for the pause");

        _counters.GetDropped(DropReason.QueueFull).Should().Be(2);
        writer.GroupCount.Should().Be(0);
    }

    [Fact]
    public void TryCommit_BeyondTheQueuesBounds_DropsTheOldestCounted()
    {
        var writer = CreateSut(options => options.MaxQueueSize = 5);
        for (var i = 0; i < 8; i++)
        {
            writer.Write(Event($"e{i}"), PropertyMap.Empty);
        }

        writer.TryCommit(final: false, out var trimmed).Should().BeTrue();

        trimmed.Should().Be(3);
        _counters.GetDropped(DropReason.QueueFull).Should().Be(3);
        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal("e3", "e4", "e5", "e6", "e7");
    }

    [Fact]
    public void Write_ARecordLargerThanMixpanelTakes_IsDroppedCountedAndLeavesTheGroupWhole()
    {
        var writer = CreateSut(onDisk: false);
        writer.Write(Event("before"), PropertyMap.Empty);
        writer.Write(HugeEvent(), PropertyMap.Empty);
        writer.Write(Event("after"), PropertyMap.Empty);

        _counters.GetDropped(DropReason.TooLarge).Should().Be(1);
        writer.GroupCount.Should().Be(2);
        writer.TryCommit(final: false, out _).Should().BeTrue();
        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal("before", "after");
    }

    [Fact]
    public void Purge_DropsTheGroupsAndTheStoredRecordsAndThenRecordsMadeBeforeIt()
    {
        var writer = CreateSut(onDisk: false);
        writer.Write(Event("stored"), PropertyMap.Empty);
        writer.TryCommit(final: false, out _);
        writer.Write(Event("waiting"), PropertyMap.Empty);

        writer.Purge(generation: 1).Should().Be(2);

        var late = Event("made before the opt-out");
        late.OptOutGeneration = 0;
        var after = Event("made after it");
        after.OptOutGeneration = 1;
        writer.Write(late, PropertyMap.Empty);
        writer.Write(after, PropertyMap.Empty);

        _counters.GetDropped(DropReason.OptedOut).Should().Be(1);
        writer.TryCommit(final: false, out _);
        Names(writer.Queue[RecordEndpoint.Track]).Should().Equal("made after it");
    }

    [Fact]
    public void TryAppendAged_WhileTheDiskFails_KeepsTheAgedEventsAndTracksCursorUntilTheImportLogHasThem()
    {
        var writer = CreateSut();
        var oldTime = _time.GetUtcNow().AddDays(-6).ToUnixTimeMilliseconds();
        writer.Write(Event("old", time: oldTime), PropertyMap.Empty);
        writer.Write(Event("new"), PropertyMap.Empty);
        writer.TryCommit(final: false, out _).Should().BeTrue();
        var blocked = BlockSegments(Path.Combine(SlotPath, "import"));
        var track = writer.Queue[RecordEndpoint.Track];

        track.TryPeek(out var header).Should().BeTrue();
        writer.MoveToImport(track, header);
        track.TryPeek(out _).Should().BeTrue();
        track.SkipNext();
        var read = track.ReadPosition;

        writer.TryAppendAged().Should().BeFalse();
        writer.HasAged.Should().BeTrue("the aged event is kept until the import log has it");
        writer.IsPaused.Should().BeTrue();
        writer.TrackCommitLimit(read).Consumed.Should().Be(0, "/track's cursor stays before the aged event, so a crash now moves it again");

        Unblock(blocked);
        _time.Advance(TimeSpan.FromSeconds(1));
        writer.TryAppendAged().Should().BeTrue();

        writer.HasAged.Should().BeFalse();
        writer.TrackCommitLimit(read).Should().Be(read);
        var import = writer.Queue[RecordEndpoint.Import];
        import.TryPeek(out var moved).Should().BeTrue();
        moved.TimeMilliseconds.Should().Be(oldTime);
        Names(import).Should().Equal("old");
        _counters.GetDropped(DropReason.Expired).Should().Be(0);
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _intake.Dispose();
        _folder.Dispose();
    }

    private static bool NeverFills(RecordEndpoint endpoint, int waiting) => false;

    private RecordWriter CreateSut(Action<MixpanelOptions>? configure = null, bool onDisk = true, long segmentBytes = 64 * 1024, AsyncSignal? wake = null)
    {
        var options = new MixpanelOptions { ProjectToken = "token", SendDefaultProperties = false };
        configure?.Invoke(options);
        _writer = new RecordWriter(options, new RecordSerializer(options.ProjectToken, LibraryInfo.Current), _intake, _time, NullLogger.Instance, _counters, wake);
        if (onDisk)
        {
            var queue = RecordQueue.OpenSlot(_folder.Combine("queue"), segmentBytes, discardTag: 0, out _) ?? throw new InvalidOperationException("No slot.");
            _writer.Open(queue, PropertyMap.Empty);
        }

        return _writer;
    }

    private EventRecord Event(string name, int padding = 0, long? time = null) =>
        new(
            name,
            padding == 0 ? PropertyMap.Empty : QueueFrames.Properties(("pad", new string('x', padding))),
            new EventIdentity("$device:d", "d", null, PropertyMap.Empty),
            time ?? _time.GetUtcNow().ToUnixTimeMilliseconds(),
            null);

    /// <summary>An event over Mixpanel's 1 MB: each string is within 255 characters, but there are many.</summary>
    private EventRecord HugeEvent()
    {
        var list = new PropertyList([.. Enumerable.Range(0, 250).Select(static i => (object?)new string('x', 250))]);
        var properties = QueueFrames.Properties([.. Enumerable.Range(0, 20).Select(i => ($"list{i}", (object?)list))]);
        return new EventRecord("huge", properties, new EventIdentity("$device:d", "d", null, PropertyMap.Empty), _time.GetUtcNow().ToUnixTimeMilliseconds(), null);
    }

    private long Timestamp(TimeSpan fromNow) => _time.GetTimestamp() + (long)(fromNow.TotalSeconds * _time.TimestampFrequency);

    private static List<string> Names(IRecordLog log) => [.. QueueFrames.Payloads(log).Select(static record => record.GetProperty("event").GetString()!)];

    /// <summary>Directories where the log's next segment files would go: creating a segment fails, as on a failing disk.</summary>
    private static List<string> BlockSegments(string folder)
    {
        var blocked = new List<string>();
        for (var segment = 0; segment < 20; segment++)
        {
            var path = Path.Combine(folder, segment.ToString("D16", CultureInfo.InvariantCulture) + FileRecordLog.SegmentExtension);
            if (!File.Exists(path))
            {
                Directory.CreateDirectory(path);
                blocked.Add(path);
            }
        }

        return blocked;
    }

    private static void Unblock(List<string> blocked)
    {
        foreach (var path in blocked)
        {
            Directory.Delete(path);
        }
    }
}
