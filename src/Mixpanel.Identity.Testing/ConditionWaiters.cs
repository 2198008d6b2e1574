namespace Mixpanel.Identity.Testing;

/// <summary>
/// The conditions tests are waiting for, re-checked whenever the server's state changes (a request arrives, is held, or is
/// recorded; the server clears, stops or restarts) instead of polling.
/// </summary>
internal sealed class ConditionWaiters<TState>(TState state)
{
    private readonly object _gate = new();
    private readonly List<Waiter> _waiters = [];
    private Exception? _closed;

    public Task WaitAsync(Func<TState, bool> condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new Waiter(condition);
        lock (_gate)
        {
            if (_closed is not null)
            {
                return Task.FromException(_closed);
            }

            // Checked under the lock that Notify takes: a change cannot slip between this check and the registration.
            if (waiter.TryComplete(state))
            {
                return waiter.Task;
            }

            _waiters.Add(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.Registration = cancellationToken.Register(
                static w =>
                {
                    var (self, waiter, token) = ((ConditionWaiters<TState>, Waiter, CancellationToken))w!;
                    self.Remove(waiter);
                    waiter.Cancel(token);
                },
                (this, waiter, cancellationToken));
        }

        return waiter.Task;
    }

    public void Notify()
    {
        // Always under the lock, never a lock-free "nobody is waiting" shortcut: a change made just as a wait registers
        // would otherwise be missed by both sides, and the wait would hang though its condition holds.
        lock (_gate)
        {
            // Conditions run one at a time: a user's condition need not be thread-safe.
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].TryComplete(state))
                {
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Fails every pending and future wait with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        Waiter[] pending;
        lock (_gate)
        {
            _closed ??= reason;
            pending = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var waiter in pending)
        {
            waiter.Fail(reason);
        }
    }

    private void Remove(Waiter waiter)
    {
        lock (_gate)
        {
            _waiters.Remove(waiter);
        }
    }

    private sealed class Waiter(Func<TState, bool> condition)
    {
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Task => _completion.Task;

        public CancellationTokenRegistration Registration { get; set; }

        public bool TryComplete(TState state)
        {
            try
            {
                if (!condition(state))
                {
                    return false;
                }

                _completion.TrySetResult();
            }
            catch (Exception ex)
            {
                // The test's condition threw: that is the test's failure to see, not the server's.
                _completion.TrySetException(ex);
            }

            // Unregister never waits for a running callback, so it is safe under the lock.
            Registration.Unregister();
            return true;
        }

        public void Cancel(CancellationToken token) => _completion.TrySetCanceled(token);

        public void Fail(Exception reason)
        {
            Registration.Unregister();
            _completion.TrySetException(reason);
        }
    }
}
