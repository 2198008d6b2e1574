using Microsoft.Extensions.Time.Testing;

namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>
/// A fake clock that also tells when timers are made, so a test can wait until the client has scheduled a retry (or a
/// timeout) and only then advance time past it: no race between the client arming a timer and the test moving time.
/// </summary>
internal sealed class ObservableTimeProvider : FakeTimeProvider
{
    private readonly object _gate = new();
    private readonly List<TimeSpan> _dueTimes = [];
    private readonly List<(int Since, Func<TimeSpan, bool> Match, TaskCompletionSource<(int Index, TimeSpan Due)> Done)> _waiters = [];

    public ObservableTimeProvider()
        : base(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>A timer that reports being re-armed too (CancelAfter arms a timer made with no due time).</summary>
    private sealed class ObservedTimer(ObservableTimeProvider owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            owner.Armed(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>How many timers have been armed so far; pass it to <see cref="WaitForTimerAsync"/> to wait for a newer one.</summary>
    public int TimersCreated
    {
        get
        {
            lock (_gate)
            {
                return _dueTimes.Count;
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ObservedTimer(this, base.CreateTimer(callback, state, dueTime, period));
        Armed(dueTime);
        return timer;
    }

    private void Armed(TimeSpan dueTime)
    {
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        List<TaskCompletionSource<(int Index, TimeSpan Due)>> matched = [];
        int index;
        lock (_gate)
        {
            index = _dueTimes.Count;
            _dueTimes.Add(dueTime);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(dueTime))
                {
                    matched.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        foreach (var done in matched)
        {
            done.TrySetResult((index, dueTime));
        }
    }

    /// <summary>Completes with the due time of the first timer armed after the first <paramref name="since"/> that matches.</summary>
    public async Task<TimeSpan> WaitForTimerAsync(int since, Func<TimeSpan, bool> match) => (await WaitForArmAsync(since, match)).Due;

    /// <summary>
    /// As <see cref="WaitForTimerAsync"/>, with the arm's index: the next wait starts after it, so that an arm made
    /// between the two waits is not skipped.
    /// </summary>
    public Task<(int Index, TimeSpan Due)> WaitForArmAsync(int since, Func<TimeSpan, bool> match)
    {
        var done = new TaskCompletionSource<(int Index, TimeSpan Due)>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            for (var i = since; i < _dueTimes.Count; i++)
            {
                if (match(_dueTimes[i]))
                {
                    return Task.FromResult((i, _dueTimes[i]));
                }
            }

            _waiters.Add((since, match, done));
        }

        return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
