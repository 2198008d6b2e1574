using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class ConditionWaitersTests
{
    [Fact]
    public async Task WaitAsync_RacingAChange_NeverMissesIt()
    {
        // A change lands on one thread while a wait registers on another, thousands of times. However the two interleave,
        // once both calls have returned the wait must be complete: its condition holds and the change was notified.
        const int Rounds = 20_000;
        var missed = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var state = new Box();
            var waiters = new ConditionWaiters<Box>(state);
            using var start = new Barrier(2);

            var change = Task.Run(() =>
            {
                start.SignalAndWait();
                Volatile.Write(ref state.Value, 1);
                waiters.Notify();
            });
            start.SignalAndWait();
            var wait = waiters.WaitAsync(b => Volatile.Read(ref b.Value) == 1, CancellationToken.None);
            await change;

            if (!wait.IsCompleted)
            {
                missed++;
            }
        }

        missed.Should().Be(0);
    }

    private sealed class Box
    {
        public int Value;
    }
}
