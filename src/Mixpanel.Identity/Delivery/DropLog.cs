namespace Mixpanel.Identity.Delivery;

/// <summary>
/// When to log drops that may come by the million (a full disk, a stalled writer): the first at once, then how many
/// since, at most once per <see cref="Interval"/>. Every drop is counted in the diagnostics whatever is logged.
/// </summary>
internal sealed class DropLog(TimeProvider timeProvider)
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private long _unlogged;
    private long _nextLogAt = long.MinValue;

    /// <summary>Counts one drop; returns how many drops to log now (this one included), or 0 to log nothing.</summary>
    public long OnDropped()
    {
        Interlocked.Increment(ref _unlogged);
        var now = timeProvider.GetTimestamp();
        var due = Volatile.Read(ref _nextLogAt);
        if (now < due)
        {
            return 0;
        }

        // One caller of those racing here logs, the others count.
        var next = now + (long)(Interval.TotalSeconds * timeProvider.TimestampFrequency);
        return Interlocked.CompareExchange(ref _nextLogAt, next, due) == due ? Interlocked.Exchange(ref _unlogged, 0) : 0;
    }
}
