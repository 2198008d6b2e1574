namespace Mixpanel.Identity.Delivery;

/// <summary>
/// An auto-reset signal with one waiter, for a background loop to sleep on: <see cref="Set"/> wakes the waiter, or
/// the next wait if nobody is waiting. Several sets before a wait wake it once; a set is never lost.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly object _gate = new();
    private TaskCompletionSource<bool>? _waiter;
    private bool _signaled;

    public void Set()
    {
        TaskCompletionSource<bool>? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            _waiter = null;
            if (waiter is null)
            {
                _signaled = true;
            }
        }

        waiter?.TrySetResult(true);
    }

    /// <summary>
    /// Waits for the signal; cancellation ends the wait with <see cref="OperationCanceledException"/>, unless a set
    /// reached the wait first, in which case the wait succeeds and the set is consumed.
    /// </summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        lock (_gate)
        {
            if (_signaled)
            {
                _signaled = false;
                return;
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiter = waiter;
        }

        // A cancelled wait withdraws its waiter under the lock, so a later set goes to the next wait instead.
        using (cancellationToken.Register(() => Withdraw(waiter, cancellationToken)))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    private void Withdraw(TaskCompletionSource<bool> waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_waiter != waiter)
            {
                return;
            }

            _waiter = null;
        }

        waiter.TrySetCanceled(cancellationToken);
    }
}
