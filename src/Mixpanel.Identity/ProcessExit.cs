namespace Mixpanel.Identity;

/// <summary>
/// Delivers at process exit for the clients an app did not dispose: one handler for all of them, disposing them
/// together, so an app with several clients waits for the slowest, not for the sum.
/// </summary>
internal static class ProcessExit
{
    // Disposal's own wait is on the client's clock; past this much more real time the process exits regardless.
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private static readonly object Gate = new();
    private static readonly Dictionary<object, Entry> Live = [];
    private static bool _registered;

    /// <summary>Disposes <paramref name="owner"/> through <paramref name="dispose"/> at process exit, unless it is <see cref="Forget"/>-ten first.</summary>
    public static void Register(object owner, Func<ValueTask> dispose, TimeSpan timeout, Action onExit)
    {
        lock (Gate)
        {
            Live[owner] = new Entry(dispose, timeout, onExit);
            if (!_registered)
            {
                _registered = true;
                AppDomain.CurrentDomain.ProcessExit += static (_, _) => DisposeAll();
            }
        }
    }

    /// <summary>The client is disposed: nothing to do for it at exit.</summary>
    public static void Forget(object owner)
    {
        lock (Gate)
        {
            Live.Remove(owner);
        }
    }

    /// <summary>
    /// Disposes every live client at once, delivering what each can, but never holds the exiting process longer than
    /// the longest of their shutdown timeouts (and a second) of real time: the process is going away on the real clock,
    /// whatever clock a client was given. What is not delivered stays on disk for the next start.
    /// </summary>
    private static void DisposeAll()
    {
        List<Entry> entries;
        lock (Gate)
        {
            entries = [.. Live.Values];
            Live.Clear();
        }

        if (entries.Count == 0)
        {
            return;
        }

        var bound = TimeSpan.Zero;
        var disposals = new List<Task>(entries.Count);
        foreach (var entry in entries)
        {
            entry.OnExit();
            bound = entry.Timeout > bound ? entry.Timeout : bound;
            disposals.Add(Task.Run(() => entry.Dispose().AsTask()));
        }

        try
        {
            Task.WaitAll([.. disposals], bound + Grace);
        }
        catch (AggregateException)
        {
            // Disposal logs its own failures; an exiting process has nobody else to tell.
        }
    }

    private sealed record Entry(Func<ValueTask> Dispose, TimeSpan Timeout, Action OnExit);
}
