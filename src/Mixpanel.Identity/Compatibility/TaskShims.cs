namespace Mixpanel.Identity.Compatibility;

/// <summary>Waiting for a task with a cancellation token, with one spelling on every target framework.</summary>
internal static class TaskShims
{
    /// <summary>Completes as <paramref name="task"/> does, or cancelled when <paramref name="cancellationToken"/> is; the task goes on.</summary>
    public static Task WaitOrCancelAsync(this Task task, CancellationToken cancellationToken)
    {
        if (task.IsCompleted || !cancellationToken.CanBeCanceled)
        {
            return task;
        }
#if NET8_0_OR_GREATER
        return task.WaitAsync(cancellationToken);
#else
        return WaitAsync(task, cancellationToken);
#endif
    }

#if !NET8_0_OR_GREATER
    private static async Task WaitAsync(Task task, CancellationToken cancellationToken)
    {
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)))
        {
            await (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
        }
    }
#endif
}
