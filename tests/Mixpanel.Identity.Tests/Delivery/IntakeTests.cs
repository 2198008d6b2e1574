using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Users;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The intake alone: items come out in the order given, each as its type; records are held within a memory budget,
/// beyond which a caller waits only for a loop that makes room, and never while storage fails or the loop stalls.
/// </summary>
public sealed class IntakeTests : IDisposable
{
    // Four records at the starting estimate of 512 bytes each.
    private const long Budget = 4 * 512;

    private readonly AsyncSignal _wake = new();
    private readonly ObservableTimeProvider _time = new();
    private readonly Intake _intake;

    public IntakeTests() => _intake = new Intake(_wake, _time, Budget, wakeEvery: 3);

    /// <summary>A safety net for waits, so a broken test fails instead of hanging; never an assertion on time.</summary>
    private static TimeSpan Patience => TimeSpan.FromSeconds(30);

    [Fact]
    public void TryTake_AfterRecordsChangesAndMarkers_GivesThemInTheOrderGivenEachAsItsType()
    {
        var first = Record("first");
        var change = new IdentityChange.Alias("alias");
        var flush = new FlushRequest(deliver: true);
        var last = Record("last");

        _intake.TryAdd(first).Should().BeTrue();
        _intake.Add(new IntakeItem(change));
        _intake.Add(new IntakeItem(flush));
        _intake.TryAdd(last).Should().BeTrue();

        var taken = TakeAll();
        taken.Select(item => (object?)item.Record ?? (object?)item.Change ?? item.Marker).Should().Equal(first, change, flush, last);
        taken[0].Change.Should().BeNull();
        taken[1].Record.Should().BeNull();
        taken[2].Change.Should().BeNull();
        _intake.Records.Should().Be(2, "records are counted off only when the loop says it took them");
    }

    [Fact]
    public void TryAdd_WakesTheLoopOnTheFirstRecordAndAtABatchsWorth_NotOnEveryRecord()
    {
        var woken = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            _intake.TryAdd(Record("e"));
            woken.Add(TakeWake());
        }

        woken.Should().Equal(true, false, true, false);

        _intake.Add(new IntakeItem(new IdentityChange.Alias("alias")));
        TakeWake().Should().BeTrue("a change or a marker always wakes the loop");
    }

    [Fact]
    public void TryAdd_AfterTheLoopTookEverything_WakesTheLoopAgain()
    {
        _intake.TryAdd(Record("e"));
        _intake.TryAdd(Record("e"));
        TakeWake();
        _intake.OnProgress(TakeAll().Count, 400);

        _intake.TryAdd(Record("after"));

        TakeWake().Should().BeTrue("records that arrive after a pause wake the loop");
        _intake.Records.Should().Be(1);
    }

    [Fact]
    public async Task TryAdd_BeyondTheBudgetWhileStorageFails_RefusesAtOnceAndKeepsNothing()
    {
        FillBudget();
        _intake.StorageFailing = true;

        // The clock never moves: a caller that waited for room would wait for ever.
        var added = await AddApart(Record("beyond")).WaitAsync(Patience);

        added.Should().BeFalse();
        _intake.Records.Should().Be(4);
        TakeAll().Should().HaveCount(4);
    }

    [Fact]
    public async Task TryAdd_BeyondTheBudget_WaitsForTheLoopToMakeRoomAndThenKeepsTheRecord()
    {
        var adding = await CallerBeyondTheBudgetAsync();
        TakeWake().Should().BeTrue("a caller waiting for room wakes the loop");
        _intake.TryTake(out _).Should().BeTrue();
        _intake.TryTake(out _).Should().BeTrue();
        _intake.TryTake(out _).Should().BeTrue();
        _intake.OnProgress(3, 512);

        (await adding.WaitAsync(Patience)).Should().BeTrue();
        _intake.Records.Should().Be(2);
        TakeAll().Should().HaveCount(2);
    }

    [Fact]
    public async Task TryAdd_WhenTheLoopTakesNothingForTheStallTimeout_GivesUpAndLaterCallersDoNotWait()
    {
        var adding = await CallerBeyondTheBudgetAsync();

        // A turn that took nothing is no progress: it must not keep the caller waiting longer.
        _time.Advance(Intake.StallTimeout / 2);
        _intake.OnProgress(0, 0);
        _time.Advance(Intake.StallTimeout / 2);

        (await adding.WaitAsync(Patience)).Should().BeFalse();
        (await AddApart(Record("next")).WaitAsync(Patience)).Should().BeFalse("the loop stalled: nobody waits for it");
        _intake.Records.Should().Be(4);

        // The loop takes something again: a caller within the budget is taken.
        _intake.TryTake(out _);
        _intake.TryTake(out _);
        _intake.OnProgress(2, 512);
        _intake.TryAdd(Record("again")).Should().BeTrue();
    }

    [Fact]
    public async Task StorageFailing_WhileACallerWaits_ReleasesItWithoutKeepingItsRecord()
    {
        var adding = await CallerBeyondTheBudgetAsync();

        _intake.StorageFailing = true;

        (await adding.WaitAsync(Patience)).Should().BeFalse();
        _intake.Records.Should().Be(4);
    }

    [Fact]
    public async Task Close_WhileACallerWaits_ReleasesItWithoutKeepingItsRecord()
    {
        var adding = await CallerBeyondTheBudgetAsync();

        _intake.Close();

        (await adding.WaitAsync(Patience)).Should().BeFalse();
        TakeAll().Should().HaveCount(4);
    }

    [Fact]
    public void OnProgress_WithLargerRecords_FollowsTheirSizeSoFewerFitTheBudget()
    {
        _intake.TryAdd(Record("e"));
        _intake.EstimatedBytes.Should().Be(512);

        _intake.TryTake(out _);
        _intake.OnProgress(1, 512 + (16 * 100));
        _intake.TryAdd(Record("e"));
        _intake.TryAdd(Record("e"));

        _intake.EstimatedBytes.Should().Be(2 * 612, "the estimate moves a sixteenth of the way to each size the loop reports");
        _intake.StorageFailing = true;
        _intake.TryAdd(Record("e")).Should().BeTrue("three records of 612 bytes fit 2048");
        _intake.TryAdd(Record("e")).Should().BeFalse("four do not");
    }

    public void Dispose() => _intake.Dispose();

    private static EventRecord Record(string name) =>
        new(name, PropertyMap.Empty, new EventIdentity("$device:d", "d", null, PropertyMap.Empty), 1_700_000_000_000, null);

    private void FillBudget()
    {
        for (var i = 0; i < 4; i++)
        {
            _intake.TryAdd(Record("e")).Should().BeTrue("within the budget");
        }
    }

    /// <summary>Fills the budget, then adds one record more on another thread; returns once that caller waits for room.</summary>
    private async Task<Task<bool>> CallerBeyondTheBudgetAsync()
    {
        FillBudget();
        var armed = _time.TimersCreated;
        var adding = AddApart(Record("beyond"));
        await _time.WaitForTimerAsync(armed, due => due == Intake.StallTimeout);
        return adding;
    }

    /// <summary>Adds on a thread of its own, as an app's thread calls Track: a caller that waits blocks its thread.</summary>
    private Task<bool> AddApart(EventRecord record) =>
        Task.Factory.StartNew(() => _intake.TryAdd(record), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private List<IntakeItem> TakeAll()
    {
        var items = new List<IntakeItem>();
        while (_intake.TryTake(out var item))
        {
            items.Add(item);
        }

        return items;
    }

    /// <summary>Whether the loop's signal is set, consuming it.</summary>
    private bool TakeWake()
    {
        using var cancel = new CancellationTokenSource();
        var wait = _wake.WaitAsync(cancel.Token);
        var set = wait.IsCompletedSuccessfully;
        cancel.Cancel();
        return set;
    }
}
