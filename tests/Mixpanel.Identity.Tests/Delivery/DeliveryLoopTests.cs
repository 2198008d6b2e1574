using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Users;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The loop alone, fed through its intake, over a queue in a temp folder and the local Mixpanel server: a flush
/// delivers what came before it and a persist stores it, an opt-out's purge drops what came before it, identity changes
/// are saved before what follows them, stopping stores what is in memory and sends nothing, a queue in memory counts
/// what ends with the process, and a turn that fails does not end the loop.
/// </summary>
public sealed class DeliveryLoopTests : IAsyncLifetime, IDisposable
{
    private const string Token = "loop-token";

    private readonly TempDirectory _folder = new();
    private readonly ObservableTimeProvider _time = new();
    private readonly DeliveryCounters _counters = new();
    private readonly AsyncSignal _wake = new();
    private readonly List<IDisposable> _owned = [];
    private LocalMixpanelServer _server = null!;
    private Intake _intake = null!;
    private DeliveryLoop? _loop;
    private Task _running = Task.CompletedTask;
    private IdentityStore? _store;
    private IdentitySession? _session;

    /// <summary>A safety net for waits, so a broken test fails instead of hanging; never an assertion on time.</summary>
    private static CancellationToken Patience => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private string QueueDirectory => _folder.Combine("queue");

    public async Task InitializeAsync() =>
        _server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token, TimeProvider = _time });

    public async Task DisposeAsync()
    {
        await StopAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Flush_AfterRecords_DeliversThemAndCompletesOnceMixpanelTookThem()
    {
        var loop = Start();
        Track("a", "b");

        await FlushAsync(deliver: true);

        _server.Records.Select(static record => record.EventName).Should().Equal("a", "b");
        _counters.Sent.Should().Be(2);
        loop.Status.Should().Be(new DeliveryStatus(IsDurable: true, HaltedStatusCode: null));
    }

    [Fact]
    public async Task Persist_AfterRecords_StoresThemWithoutSendingThem()
    {
        Start();
        Track("a", "b");

        await FlushAsync(deliver: false);
        await StopAsync();

        _server.ReceivedRequestCount.Should().Be(0);
        StoredOnDisk().Should().Be(2);
    }

    [Fact]
    public async Task Stop_WithRecordsStillInTheIntake_StoresThemForTheNextStartAndSendsNothing()
    {
        Start();
        Track("a", "b", "c");

        await StopAsync();

        _server.ReceivedRequestCount.Should().Be(0, "stopping never waits on a request");
        StoredOnDisk().Should().Be(3);
        _counters.Persisted.Should().Be(3);
    }

    [Fact]
    public async Task Stop_WithTheQueueInMemory_CountsWhatWasNotDeliveredAsDropped()
    {
        var loop = Start(onDisk: false);
        Track("a", "b");
        await FlushAsync(deliver: false);
        loop.Status.IsDurable.Should().BeFalse();

        await StopAsync();

        _counters.GetDropped(DropReason.Disposed).Should().Be(2);
        _server.ReceivedRequestCount.Should().Be(0);
    }

    [Fact]
    public async Task Purge_DropsTheRecordsBeforeItAndCountsThemWhileThoseAfterItGo()
    {
        Start();
        Track("before-1", "before-2");
        await FlushAsync(deliver: false);
        Track("before-3");
        _intake.Add(new IntakeItem(new PurgeMarker(1)));
        Track(generation: 1, "after");

        await FlushAsync(deliver: true);

        _server.Records.Select(static record => record.EventName).Should().Equal("after");
        _counters.GetDropped(DropReason.OptedOut).Should().Be(3, "those stored and the one still in memory alike");
    }

    [Fact]
    public async Task Flush_WhenMixpanelRefusesTheToken_CompletesAndReportsDeliveryHalted()
    {
        var loop = Start();
        _server.Faults.Enqueue(ServerFault.Status(401));
        Track("a");

        await FlushAsync(deliver: true);

        loop.Status.HaltedStatusCode.Should().Be(401);
        _counters.Sent.Should().Be(0);
    }

    [Fact]
    public async Task Identify_WithHeldProfileUpdates_ReleasesThemBeforeAnUpdateMadeAfter()
    {
        Start(held: 2);
        _session!.Identify("user-1");
        _intake.TryAdd(new ProfileRecord(new ProfileUpdate(ProfileOperation.Set, QueueFrames.Properties(("plan", "pro"))), "user-1", "device-1"));

        await FlushAsync(deliver: true);

        var updates = _server.Records.Where(static record => record.Endpoint == MixpanelEndpoint.Engage).OrderBy(static record => record.Sequence).ToList();
        updates.Select(static update => update.DistinctId).Should().Equal("user-1", "user-1", "user-1");
        updates.Select(static update => update.Json.TryGetProperty("$add", out _)).Should().Equal(true, true, false);
        _store!.ReadLatest()!.UserId.Should().Be("user-1");
    }

    [Fact]
    public async Task Stop_WhenTheIdentityCannotBeSaved_StillStoresTheRecordsAfterAFlush()
    {
        Start(held: 0);
        Directory.CreateDirectory(_folder.Combine(IdentityStore.FileName + ".tmp"));
        _session!.Register(QueueFrames.Properties(("plan", "pro")), onlyIfAbsent: false);
        var flush = new FlushRequest(deliver: false);
        _intake.Add(new IntakeItem(flush));
        Track("after the flush");

        await StopAsync();

        flush.Task.IsCompleted.Should().BeTrue("nobody waits on a loop that has ended");
        StoredOnDisk().Should().Be(1, "a record is never lost uncounted");
        _counters.Persisted.Should().Be(1);
    }

    [Fact]
    public async Task Start_ATurnThatFails_DoesNotEndTheLoopWhichCarriesOnAfterAPause()
    {
        Start();
        var timers = _time.TimersCreated;
        _intake.Add(default);
        (await _time.WaitForTimerAsync(timers, static due => due == TimeSpan.FromSeconds(1))).Should().Be(TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(1));
        Track("a");
        await FlushAsync(deliver: true);

        _server.Records.Select(static record => record.EventName).Should().Equal("a");
    }

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        _folder.Dispose();
    }

    /// <summary>Starts a loop on the folder; with <paramref name="held"/>, a device's session too, its identity holding that many profile updates.</summary>
    private DeliveryLoop Start(bool onDisk = true, int? held = null)
    {
        var options = new MixpanelOptions
        {
            ProjectToken = Token,
            ApiHost = _server.BaseAddress,
            IdMerge = IdMergeApi.Simplified,
            FlushInterval = TimeSpan.FromHours(1),
            SendDefaultProperties = false,
        };
        _intake = new Intake(_wake, _time, options.TrackMemoryBudgetBytes, options.BatchSize);
        var client = new HttpClient();
        _owned.AddRange([client, _intake]);
        if (held is { } count)
        {
            _store = IdentityStore.OpenOnDisk(_folder.Path, _time, NullLogger.Instance);
            var updates = Enumerable.Range(0, count).Select(_ => new ProfileUpdate(ProfileOperation.Add, QueueFrames.Properties(("credits", 10)))).ToList();
            var state = _store.ReadOrCreate(() => IdentityState.CreateNew("device-1").WithHeldProfileUpdates(updates));
            _session = new IdentitySession(
                state, _store.Version, new IntakeSink(_intake), _store, options.IdMerge, _time, _counters, NullLogger.Instance, new SessionHooks(options, NullLogger.Instance, _counters));
        }

        _loop = new DeliveryLoop(
            options,
            new HttpSender(client, options, _time),
            _store,
            onDisk ? QueueDirectory : null,
            RecordDefaults.ForThisMachine(options),
            _intake,
            _wake,
            _time,
            NullLogger.Instance,
            _counters,
            static () => 0);
        _running = _loop.Start(_session);
        return _loop;
    }

    /// <summary>Stops the loop, as disposal does, and waits for its last pass.</summary>
    private async Task StopAsync()
    {
        if (_loop is null)
        {
            return;
        }

        _loop.Stop();
        _wake.Set();
        await _running.WaitAsync(Patience);
        _loop.Dispose();
        _loop = null;
    }

    private void Track(params string[] names) => Track(generation: 0, names);

    private void Track(int generation, params string[] names)
    {
        foreach (var name in names)
        {
            var record = new EventRecord(name, PropertyMap.Empty, new EventIdentity("user-1", "device-1", "user-1", PropertyMap.Empty), _time.GetUtcNow().ToUnixTimeMilliseconds(), null)
            {
                OptOutGeneration = generation,
            };
            _intake.TryAdd(record).Should().BeTrue();
        }
    }

    private async Task FlushAsync(bool deliver)
    {
        var flush = new FlushRequest(deliver);
        _intake.Add(new IntakeItem(flush));
        await flush.Task.WaitAsync(Patience);
    }

    /// <summary>The records a next start finds in the queue (the loop stopped).</summary>
    private long StoredOnDisk()
    {
        using var queue = RecordQueue.OpenSlot(QueueDirectory, 64 * 1024, discardTag: 0, out var recovery) ?? throw new InvalidOperationException("No slot.");
        return recovery.Records + queue.AdoptOrphans(64 * 1024, discardTag: 0).Records;
    }

    /// <summary>What the client hands the loop, as the engine does: records and changes into the intake.</summary>
    private sealed class IntakeSink(Intake intake) : IRecordSink
    {
        public void Enqueue(PendingRecord record) => intake.TryAdd(record);

        public void Change(IdentityChange change) => intake.Add(new IntakeItem(change));

        public void Purge(int optOutGeneration) => intake.Add(new IntakeItem(new PurgeMarker(optOutGeneration)));

        public void CatchUp()
        {
        }
    }
}
