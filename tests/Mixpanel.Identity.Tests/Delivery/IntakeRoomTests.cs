using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Payloads;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>How long a <c>Track</c> beyond the memory budget waits: for a slice of the backlog, not all of it.</summary>
public sealed class IntakeRoomTests
{
    // 64 KiB at the starting estimate of 512 bytes a record: 128 records.
    private const long Budget = 64 * 1024;
    private const int RecordsInBudget = 128;

    [Fact]
    public async Task CallerBeyondTheBudget_GoesOnOnceTheLoopHasTakenASixteenthOfIt()
    {
        var wake = new AsyncSignal();
        using var intake = new Intake(wake, new FakeTimeProvider(), Budget, wakeEvery: int.MaxValue);
        for (var i = 0; i < RecordsInBudget; i++)
        {
            intake.TryAdd(Record()).Should().BeTrue();
        }

        await wake.WaitAsync(CancellationToken.None); // the first record's

        var beyond = Task.Factory.StartNew(() => intake.TryAdd(Record()), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await wake.WaitAsync(CancellationToken.None); // the waiting caller asks the loop for room

        // 129 records held; the loop takes 8: 121 × 512 bytes is still over the point where waiting callers go on.
        intake.OnProgress(8, recordBytes: 0);
        beyond.IsCompleted.Should().BeFalse("121 records are more than fifteen sixteenths of the budget");

        intake.OnProgress(1, recordBytes: 0);
        (await beyond.WaitAsync(TimeSpan.FromSeconds(30))).Should().BeTrue("the loop has taken a sixteenth of the budget");
        intake.Records.Should().Be(RecordsInBudget + 1 - 9);
    }

    private static EventRecord Record() =>
        new("Viewed Item", PropertyMap.Empty, new EventIdentity("d1", "d1", null, PropertyMap.Empty), 1_700_000_000_000, null);
}
