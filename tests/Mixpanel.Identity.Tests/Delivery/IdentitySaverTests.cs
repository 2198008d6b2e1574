using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Users;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The identity saver alone, over the identity and a queue in a temp folder: a session's changes saved onto the
/// identity as stored, several in one write, kept and saved again after a failed write, held profile updates released
/// exactly once, and another process's change read for the session only when asked.
/// </summary>
public sealed class IdentitySaverTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly DeliveryCounters _counters = new();
    private readonly RecordingSink _sink = new();
    private readonly List<long> _discarded = [];
    private readonly List<IDisposable> _owned = [];
    private IdentityStore _store = null!;
    private IdentitySession _session = null!;
    private RecordWriter _writer = null!;
    private Intake _intake = null!;

    [Fact]
    public void TrySave_AChange_SavesItOntoTheIdentityAsStoredByAnotherProcessMeanwhile()
    {
        var saver = CreateSut(_folder.Path);
        _session.Register(QueueFrames.Properties(("plan", "pro")), onlyIfAbsent: false);

        // Another process identifies the user before this process's change is saved.
        _store.Save(_store.ReadLatest()!.WithUser("other-user", alias: null));
        TakeChanges(saver);
        saver.TrySave(final: false, Adopt).Should().BeTrue();

        var stored = _store.ReadLatest()!;
        stored.UserId.Should().Be("other-user", "the change is applied to the identity as stored, not over it");
        stored.SuperProperties.TryGetValue("plan", out var plan).Should().BeTrue();
        plan.Should().Be("pro");
        saver.HasChanges.Should().BeFalse();

        // Track reads no file: what it sends under is the session's view, which follows what was saved.
        _session.Track("after", PropertyMap.Empty);
        _sink.Records.OfType<EventRecord>().Single().Identity.DistinctId.Should().Be("other-user");
        _sink.CatchUps.Should().Be(0, "the save brought the stored identity with it");
    }

    [Fact]
    public void TrySave_SeveralChanges_SavesThemInOrderInOneWrite()
    {
        var saver = CreateSut(_folder.Path);
        _session.Register(QueueFrames.Properties(("plan", "free")), onlyIfAbsent: false);
        _session.Register(QueueFrames.Properties(("plan", "pro")), onlyIfAbsent: false);
        _session.Identify("user-1");
        var version = _store.Version;
        TakeChanges(saver).Should().Be(3);

        saver.TrySave(final: false, Adopt).Should().BeTrue();

        (_store.Version - version).Should().Be(1, "the changes taken are saved together");
        var stored = _store.ReadLatest()!;
        stored.UserId.Should().Be("user-1");
        stored.SuperProperties.TryGetValue("plan", out var plan).Should().BeTrue();
        plan.Should().Be("pro", "the later change wins");
        saver.TrySave(final: false, Adopt).Should().BeTrue();
        _store.Version.Should().Be(version + 1, "with nothing changed nothing is written");
    }

    [Fact]
    public void TrySave_WhenTheIdentityCannotBeWritten_KeepsTheChangesPausesAndSavesThemAfterThePause()
    {
        var saver = CreateSut(_folder.Path);
        var blocker = _folder.Combine(IdentityStore.FileName + ".tmp");
        Directory.CreateDirectory(blocker);
        _session.Identify("user-1");
        TakeChanges(saver);

        saver.TrySave(final: false, Adopt).Should().BeFalse();

        saver.HasChanges.Should().BeTrue();
        _writer.IsPaused.Should().BeTrue();
        _intake.StorageFailing.Should().BeTrue();
        _store.ReadLatest()!.UserId.Should().BeNull();
        _session.Current.UserId.Should().Be("user-1", "this process goes on with its own view meanwhile");

        Directory.Delete(blocker);
        saver.TrySave(final: false, Adopt).Should().BeFalse("within the pause the disk is not tried again");
        _store.ReadLatest()!.UserId.Should().BeNull();

        _time.Advance(TimeSpan.FromSeconds(1));
        saver.TrySave(final: false, Adopt).Should().BeTrue();
        _store.ReadLatest()!.UserId.Should().Be("user-1");
        saver.HasChanges.Should().BeFalse();
    }

    [Fact]
    public void TrySave_AnIdentifyWithHeldProfileUpdates_ReleasesThemToTheUserOnce()
    {
        var saver = CreateSut(_folder.Path, held: 2);
        _session.Identify("user-1");
        TakeChanges(saver);

        saver.TrySave(final: false, Adopt).Should().BeTrue();

        ReleasedTo(_writer.Queue[RecordEndpoint.Engage]).Should().Equal("user-1", "user-1");
        var stored = _store.ReadLatest()!;
        stored.HeldProfileUpdates.Should().BeEmpty();
        stored.PendingRelease.Should().Be(0, "the release is saved");
        _counters.Accepted.Should().Be(2);
        _discarded.Should().BeEmpty();
    }

    [Fact]
    public void TrySave_AResetWithHeldProfileUpdates_SavesANewDeviceAndCountsTheUpdatesDropped()
    {
        var saver = CreateSut(_folder.Path, held: 2);
        _session.Reset();
        TakeChanges(saver);

        saver.TrySave(final: false, Adopt).Should().BeTrue();

        var stored = _store.ReadLatest()!;
        stored.DeviceId.Should().NotBe("device-1");
        stored.HeldProfileUpdates.Should().BeEmpty();
        _counters.GetDropped(DropReason.Reset).Should().Be(2);
        _writer.Queue[RecordEndpoint.Engage].UnreadCount.Should().Be(0);
    }

    [Fact]
    public void TrySave_AfterAReleaseCutShortByAnotherProcess_DiscardsThatReleasesRecordsFirst()
    {
        var saver = CreateSut(_folder.Path);
        _store.Save(_store.ReadLatest()!.WithPendingRelease(42));
        _session.Register(QueueFrames.Properties(("plan", "pro")), onlyIfAbsent: false);
        TakeChanges(saver);

        saver.TrySave(final: false, Adopt).Should().BeTrue();

        _discarded.Should().Equal(42);
        _store.ReadLatest()!.PendingRelease.Should().Be(0);
    }

    [Fact]
    public void TrySave_WhenTheIdentityCannotBeSavedAfterTheReleaseIsQueued_NeverReleasesTheHeldUpdatesTwice()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        // Room for the identity's first write and the released records, none for its last write.
        var saver = IdentifyOnANearlyFullDisk(disk, held: 2);
        SaveAgainAfterAFailedSave(disk, saver, byAnotherProcess: null);

        ReleasedTo(_writer.Queue[RecordEndpoint.Engage]).Should().Equal(["user-1", "user-1"], "Mixpanel does not deduplicate profile updates such as $add");
        _store.ReadLatest()!.HeldProfileUpdates.Should().BeEmpty();
        _store.ReadLatest()!.PendingRelease.Should().Be(0);
        _counters.Accepted.Should().Be(2);
    }

    [Fact]
    public void TrySave_AfterAnotherProcessSavedWhileTheIdentityCouldNotBeSaved_KeepsItsChangeAndReleasesTheHeldUpdatesOnce()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        var saver = IdentifyOnANearlyFullDisk(disk, held: 2);
        SaveAgainAfterAFailedSave(disk, saver, byAnotherProcess: new IdentityChange.Register(QueueFrames.Properties(("plan", "pro")), onlyIfAbsent: false));

        var stored = _store.ReadLatest()!;
        stored.UserId.Should().Be("user-1");
        stored.SuperProperties.TryGetValue("plan", out var plan).Should().BeTrue("the other process's change is kept");
        plan.Should().Be("pro");
        stored.HeldProfileUpdates.Should().BeEmpty("they are in the queue already");
        stored.PendingRelease.Should().Be(0);
        ReleasedTo(_writer.Queue[RecordEndpoint.Engage]).Should().Equal(["user-1", "user-1"], "Mixpanel does not deduplicate profile updates such as $add");
        _counters.Accepted.Should().Be(2);
    }

    [Fact]
    public void TrySave_AfterAnotherProcessHeldAnUpdateWhileTheIdentityCouldNotBeSaved_ReleasesThatUpdateAndTheOthersOnce()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        var saver = IdentifyOnANearlyFullDisk(disk, held: 2);
        SaveAgainAfterAFailedSave(disk, saver, byAnotherProcess: new IdentityChange.Hold(new ProfileUpdate(ProfileOperation.Set, QueueFrames.Properties(("name", "Ada")))));

        var released = QueueFrames.Payloads(_writer.Queue[RecordEndpoint.Engage]);
        released.Select(static update => update.GetProperty("$distinct_id").GetString()).Should().Equal("user-1", "user-1", "user-1");
        released.Count(static update => update.TryGetProperty("$add", out _)).Should().Be(2, "the updates released before are not released again");
        released.Count(static update => update.TryGetProperty("$set", out _)).Should().Be(1, "the other process's update goes to the user this process identified");
        _store.ReadLatest()!.HeldProfileUpdates.Should().BeEmpty();
        _store.ReadLatest()!.PendingRelease.Should().Be(0);
        _counters.Accepted.Should().Be(3);
    }

    [Fact]
    public void TrySave_AfterAnotherProcessSavedWhileAnUpdateReleasedAtOnceWasUnsaved_NeverReleasesItTwice()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        var saver = CreateSut(disk.Path);
        _store.Save(_store.ReadLatest()!.WithUser("user-1", alias: null));
        saver.Add(new IdentityChange.Hold(new ProfileUpdate(ProfileOperation.Add, QueueFrames.Properties(("credits", 10)))));
        disk.FillLeaving(freePages: 1);
        SaveAgainAfterAFailedSave(disk, saver, byAnotherProcess: new IdentityChange.Register(QueueFrames.Properties(("plan", "pro")), onlyIfAbsent: false));

        ReleasedTo(_writer.Queue[RecordEndpoint.Engage]).Should().Equal(["user-1"], "Mixpanel does not deduplicate profile updates such as $add");
        var stored = _store.ReadLatest()!;
        stored.SuperProperties.TryGetValue("plan", out _).Should().BeTrue();
        stored.HeldProfileUpdates.Should().BeEmpty();
        _counters.Accepted.Should().Be(1);
    }

    [Fact]
    public void TrySave_WhenTheReleaseCannotBeQueued_ReleasesAndCountsTheHeldUpdatesOnceTheDiskRecovers()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        // Room for the identity's first write, not for the released records, which take more than a page.
        var saver = IdentifyOnANearlyFullDisk(disk, held: 40);
        saver.TrySave(final: false, Adopt).Should().BeFalse();
        _store.ReadLatest()!.PendingRelease.Should().NotBe(0, "the release was marked before the disk filled");
        _writer.Queue[RecordEndpoint.Engage].UnreadCount.Should().Be(0);

        disk.FreeAll();
        _time.Advance(TimeSpan.FromSeconds(1));
        saver.TrySave(final: false, Adopt).Should().BeTrue();

        ReleasedTo(_writer.Queue[RecordEndpoint.Engage]).Should().HaveCount(40).And.OnlyContain(user => user == "user-1");
        _counters.Accepted.Should().Be(40, "each released update is counted once, when it reaches the queue");
        _counters.Queued.Should().Be(40);
    }

    [Fact]
    public void CatchUp_OnlyWhenAsked_ReadsAnotherProcessesChangeForTheSession()
    {
        var saver = CreateSut(_folder.Path);
        _store.Save(_store.ReadLatest()!.WithUser("other-user", alias: null));

        _session.Track("before", PropertyMap.Empty);
        saver.CatchUp();
        _session.Track("not asked", PropertyMap.Empty);
        _sink.CatchUps.Should().Be(1, "Track asks once per change, and reads nothing itself");

        saver.AskCatchUp();
        saver.CatchUp();
        _session.Track("after", PropertyMap.Empty);

        _sink.Records.OfType<EventRecord>().Select(record => (record.Name, record.Identity.DistinctId)).Should().Equal(
            ("before", "$device:device-1"), ("not asked", "$device:device-1"), ("after", "other-user"));
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _folder.Dispose();
    }

    private IdentitySaver CreateSut(string directory, int held = 0)
    {
        var options = new MixpanelOptions { ProjectToken = "token", IdMerge = IdMergeApi.Simplified };
        _store = IdentityStore.OpenOnDisk(directory, _time, NullLogger.Instance);
        var heldUpdates = Enumerable.Range(0, held).Select(i => new ProfileUpdate(ProfileOperation.Add, QueueFrames.Properties(("credits", 10)))).ToList();
        var state = _store.ReadOrCreate(() => IdentityState.CreateNew("device-1").WithHeldProfileUpdates(heldUpdates));
        _intake = new Intake(new AsyncSignal(), _time, options.TrackMemoryBudgetBytes, options.BatchSize);
        _owned.Add(_intake);
        _writer = new RecordWriter(options, new RecordSerializer(options.ProjectToken, LibraryInfo.Current), _intake, _time, NullLogger.Instance, _counters);
        _owned.Add(_writer);
        _writer.Open(
            RecordQueue.OpenSlot(Path.Combine(directory, "queue"), 64 * 1024, discardTag: 0, out _) ?? throw new InvalidOperationException("No slot."),
            PropertyMap.Empty);
        _session = new IdentitySession(
            state, _store.Version, _sink, _store, options.IdMerge, _time, _counters, NullLogger.Instance, new SessionHooks(options, NullLogger.Instance, _counters));
        return new IdentitySaver(_store, _session, _writer, _counters, NullLogger.Instance);
    }

    /// <summary>An identify that releases <paramref name="held"/> updates, handed to the saver, with one page left on the disk.</summary>
    private IdentitySaver IdentifyOnANearlyFullDisk(SmallDisk disk, int held)
    {
        var saver = CreateSut(disk.Path, held);
        _session.Identify("user-1");
        TakeChanges(saver);
        disk.FillLeaving(freePages: 1);
        return saver;
    }

    /// <summary>
    /// A save that fails on the nearly full disk once the release reached the queue; then, the disk freed, another
    /// process's save of <paramref name="byAnotherProcess"/> if given, and the saver's next attempt, which succeeds.
    /// </summary>
    private void SaveAgainAfterAFailedSave(SmallDisk disk, IdentitySaver saver, IdentityChange? byAnotherProcess)
    {
        var queued = _writer.Queue[RecordEndpoint.Engage].UnreadCount;
        saver.TrySave(final: false, Adopt).Should().BeFalse();
        _writer.Queue[RecordEndpoint.Engage].UnreadCount.Should().BeGreaterThan(queued, "the release reached the queue before the disk filled");

        disk.FreeAll();
        if (byAnotherProcess is not null)
        {
            SaveAsAnotherProcess(disk.Path, byAnotherProcess);
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        saver.TrySave(final: false, Adopt).Should().BeTrue();
    }

    /// <summary>
    /// Another process's save of <paramref name="change"/> onto the identity as stored, as its saver makes it: the mark of
    /// a release it takes as cut short is cleared.
    /// </summary>
    private void SaveAsAnotherProcess(string directory, IdentityChange change)
    {
        var other = IdentityStore.OpenOnDisk(directory, _time, NullLogger.Instance);
        using (other.Lock())
        {
            other.Save(change.Apply(other.ReadLatest()!.WithPendingRelease(0), new ChangeEffects()));
        }
    }

    /// <summary>Hands the saver the changes the session made, as the loop does; returns how many.</summary>
    private int TakeChanges(IdentitySaver saver)
    {
        var count = _sink.Changes.Count;
        foreach (var change in _sink.Changes)
        {
            saver.Add(change);
        }

        _sink.Changes.Clear();
        return count;
    }

    private QueueRecovery Adopt(long discardTag)
    {
        _discarded.Add(discardTag);
        return _writer.Queue.AdoptOrphans(64 * 1024, discardTag);
    }

    /// <summary>The user each unread profile update of <paramref name="log"/> is for.</summary>
    private static List<string> ReleasedTo(IRecordLog log) => [.. QueueFrames.Payloads(log).Select(static update => update.GetProperty("$distinct_id").GetString()!)];

    /// <summary>What the session hands on, kept for the test: the loop's side is the saver under test.</summary>
    private sealed class RecordingSink : IRecordSink
    {
        public List<PendingRecord> Records { get; } = [];

        public List<IdentityChange> Changes { get; } = [];

        public int CatchUps { get; private set; }

        public void Enqueue(PendingRecord record) => Records.Add(record);

        public void Change(IdentityChange change) => Changes.Add(change);

        public void Purge(int optOutGeneration)
        {
        }

        public void CatchUp() => CatchUps++;
    }
}
