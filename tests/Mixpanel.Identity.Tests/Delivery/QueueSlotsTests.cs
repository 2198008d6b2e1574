using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Storage;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Users;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The queue slots alone, over a temp folder: each process takes a slot of its own, a slot stays taken while its
/// process lives even when the queue folder is deleted, slots of processes that died are adopted (at start and once a
/// minute while idle), a release cut short is discarded and its mark cleared, and a disk that fails leaves a queue in
/// memory.
/// </summary>
public sealed class QueueSlotsTests : IDisposable
{
    private const long SegmentBytes = 64 * 1024;

    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly DeliveryCounters _counters = new();
    private readonly List<IDisposable> _owned = [];
    private IdentityStore? _identity;
    private long _nextNumber = 1;

    private string QueueDirectory => _folder.Combine("queue");

    [Fact]
    public void Open_TwoProcessesOnOneFolder_TakeASlotEach()
    {
        var first = Open(CreateSut());
        var second = Open(CreateSut());

        first.IsDurable.Should().BeTrue();
        second.IsDurable.Should().BeTrue();
        HeldSlots().Should().Equal(0, 1);
        Store(first, RecordEndpoint.Track, 2);
        second.Count.Should().Be(0, "no record is read by two processes");
    }

    [Fact]
    public void Open_AfterTheQueueFolderWasDeleted_LeavesALiveProcessesSlotAndRetakesItOnceFreed()
    {
        var live = Open(CreateSut());
        Store(live, RecordEndpoint.Engage, 2);
        Directory.Delete(QueueDirectory, recursive: true);

        var next = Open(CreateSut());
        next.IsDurable.Should().BeTrue("the folder is made again");
        HeldSlots().Should().Equal(0, 1);
        next.Count.Should().Be(0);

        Close(live);
        HeldSlots().Should().Equal(1);
        var after = Open(CreateSut());
        after.IsDurable.Should().BeTrue();
        HeldSlots().Should().Equal(0, 1);
    }

    [Fact]
    public void Open_WithSlotsLeftByProcessesThatDied_TakesOneAdoptsTheOtherAndCountsTheirRecords()
    {
        LeaveSlots((RecordEndpoint.Track, 2), (RecordEndpoint.Engage, 3));

        var queue = Open(CreateSut());

        queue[RecordEndpoint.Track].UnreadCount.Should().Be(2);
        queue[RecordEndpoint.Engage].UnreadCount.Should().Be(3);
        _counters.Queued.Should().Be(5, "records found from earlier runs are counted as queued");
        HeldSlots().Should().Equal(0);
        Directory.Exists(Path.Combine(QueueDirectory, "1")).Should().BeFalse("the adopted slot is emptied");
    }

    [Fact]
    public void Open_WithAReleaseCutShortStored_DiscardsItsRecordsAndClearsTheMark()
    {
        var slots = CreateSut(withIdentity: true);
        _identity!.Save(IdentityState.CreateNew("device-1").WithPendingRelease(42));
        var dead = TakeSlot();
        dead.Append(RecordEndpoint.Engage, QueueFrames.Numbered(1, 1), 1);
        dead.Append(RecordEndpoint.Engage, QueueFrames.Numbered(2, 2, releaseTag: 42), 2);
        dead.Dispose();

        var queue = Open(slots);

        QueueFrames.ReadAll(queue[RecordEndpoint.Engage]).Should().Equal(1);
        _identity.ReadLatest()!.PendingRelease.Should().Be(0);
    }

    [Fact]
    public void Open_WhenTheUserHadOptedOut_DropsWhatEarlierRunsLeftAndCountsIt()
    {
        var slots = CreateSut(withIdentity: true);
        _identity!.Save(IdentityState.CreateNew("device-1", optedOut: true));
        LeaveSlots((RecordEndpoint.Track, 3));

        var queue = Open(slots);

        queue[RecordEndpoint.Track].UnreadCount.Should().Be(0);
        _counters.GetDropped(DropReason.OptedOut).Should().Be(3);
        _counters.Queued.Should().Be(0);
    }

    [Fact]
    public void Open_WithEverySlotTaken_QueuesInMemoryAndTakesASlotOnceOneIsFree()
    {
        var taken = new List<RecordQueue>();
        while (RecordQueue.OpenSlot(QueueDirectory, SegmentBytes, discardTag: 0, out _) is { } queue)
        {
            taken.Add(queue);
            _owned.Add(queue);
        }

        Open(CreateSut()).IsDurable.Should().BeFalse();

        Close(taken[5]);
        Open(CreateSut()).IsDurable.Should().BeTrue();
        taken.Should().HaveCount(64);
    }

    [Fact]
    public void Open_WhenTheQueueFolderCannotBeMade_QueuesInMemory()
    {
        File.WriteAllText(QueueDirectory, "a file where the folder goes");

        var queue = Open(CreateSut());

        queue.IsDurable.Should().BeFalse();
        queue.Append(RecordEndpoint.Track, QueueFrames.Numbered(1, 1), 1);
        queue.Count.Should().Be(1);
    }

    [Fact]
    public void Open_WithNoQueueFolder_QueuesInMemory()
    {
        var queue = Open(new QueueSlots(new MixpanelOptions { ProjectToken = "token" }, null, null, _time, NullLogger.Instance, _counters));

        queue.IsDurable.Should().BeFalse();
        Directory.Exists(QueueDirectory).Should().BeFalse();
    }

    [Fact]
    public void AdoptWhenIdle_OnlyOnceAMinuteAndOnlyWhileNothingWaits_AdoptsASlotWhoseProcessDied()
    {
        var slots = CreateSut();
        var queue = Open(slots);
        LeaveSlots((RecordEndpoint.Track, 2));

        _time.Advance(TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(1));
        slots.AdoptWhenIdle(queue, waiting: 0);
        queue.Count.Should().Be(0, "a minute has not passed since the queue was opened");

        _time.Advance(TimeSpan.FromTicks(1));
        slots.AdoptWhenIdle(queue, waiting: 1);
        queue.Count.Should().Be(0, "records wait in memory");

        slots.AdoptWhenIdle(queue, waiting: 0);
        queue.Count.Should().Be(2);
        _counters.Queued.Should().Be(2);

        QueueFrames.ReadAll(queue[RecordEndpoint.Track]);
        queue[RecordEndpoint.Track].CommitRead(queue[RecordEndpoint.Track].ReadPosition);
        LeaveSlots((RecordEndpoint.Engage, 1));
        slots.AdoptWhenIdle(queue, waiting: 0);
        queue.Count.Should().Be(0, "the next adoption is a minute after the last");

        _time.Advance(TimeSpan.FromMinutes(1));
        slots.AdoptWhenIdle(queue, waiting: 0);
        queue[RecordEndpoint.Engage].UnreadCount.Should().Be(1);
    }

    [Fact]
    public void AdoptWhenIdle_WithRecordsQueued_AdoptsNothing()
    {
        var slots = CreateSut();
        var queue = Open(slots);
        Store(queue, RecordEndpoint.Track, 1);
        LeaveSlots((RecordEndpoint.Engage, 2));

        _time.Advance(TimeSpan.FromMinutes(1));
        slots.AdoptWhenIdle(queue, waiting: 0);

        queue[RecordEndpoint.Engage].UnreadCount.Should().Be(0);
    }

    [Fact]
    public void AdoptWhenIdle_WithAReleaseCutShortStored_DiscardsItsRecordsAndClearsTheMark()
    {
        var slots = CreateSut(withIdentity: true);
        _identity!.Save(IdentityState.CreateNew("device-1"));
        var queue = Open(slots);
        _identity.Save(IdentityState.CreateNew("device-1").WithPendingRelease(7));
        var dead = TakeSlot();
        dead.Append(RecordEndpoint.Engage, QueueFrames.Numbered(1, 1), 1);
        dead.Append(RecordEndpoint.Engage, QueueFrames.Numbered(2, 2, releaseTag: 7), 2);
        dead.Dispose();

        _time.Advance(TimeSpan.FromMinutes(1));
        slots.AdoptWhenIdle(queue, waiting: 0);

        QueueFrames.ReadAll(queue[RecordEndpoint.Engage]).Should().Equal(1);
        _identity.ReadLatest()!.PendingRelease.Should().Be(0);
    }

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        _folder.Dispose();
    }

    private QueueSlots CreateSut(bool withIdentity = false)
    {
        if (withIdentity && _identity is null)
        {
            _identity = IdentityStore.OpenOnDisk(_folder.Path, _time, NullLogger.Instance);
        }

        return new QueueSlots(new MixpanelOptions { ProjectToken = "token" }, _identity, QueueDirectory, _time, NullLogger.Instance, _counters);
    }

    private RecordQueue Open(QueueSlots slots)
    {
        var queue = slots.Open();
        _owned.Add(queue);
        return queue;
    }

    /// <summary>The process owning <paramref name="queue"/> ends: its slot is free.</summary>
    private void Close(RecordQueue queue)
    {
        queue.Dispose();
        _owned.Remove(queue);
    }

    /// <summary>A slot taken as another process would, to be left with records when it dies (disposed).</summary>
    private RecordQueue TakeSlot() => RecordQueue.OpenSlot(QueueDirectory, SegmentBytes, discardTag: 0, out _) ?? throw new InvalidOperationException("No slot.");

    /// <summary>Slots left by processes that died, the first free ones on, each with the records given.</summary>
    private void LeaveSlots(params (RecordEndpoint Endpoint, int Count)[] slots)
    {
        var dead = slots.Select(_ => TakeSlot()).ToList();
        for (var i = 0; i < slots.Length; i++)
        {
            Store(dead[i], slots[i].Endpoint, slots[i].Count);
            dead[i].Dispose();
        }
    }

    private void Store(RecordQueue queue, RecordEndpoint endpoint, int count)
    {
        queue.Append(endpoint, QueueFrames.Numbered(_nextNumber, count), count);
        _nextNumber += count;
    }

    /// <summary>The slots among the first four whose lock a process holds.</summary>
    private List<int> HeldSlots() =>
        [.. Enumerable.Range(0, 4).Where(slot =>
        {
            using var probe = StorageFiles.TryLock($"{QueueDirectory}.{slot}.lock");
            return probe is null;
        })];
}
