namespace Mixpanel.Identity.Delivery;

/// <summary>
/// How long a client's disposal may spend delivering: <see cref="MixpanelOptions.ShutdownTimeout"/>, or what is left of
/// it once the host's stop has begun spending it, so that stop and disposal together never exceed the timeout.
/// </summary>
internal sealed class ShutdownBudget(TimeSpan timeout, TimeProvider timeProvider)
{
    private long _deadlineTicks = long.MaxValue;

    /// <summary>Shutdown began elsewhere: disposal delivers only until <paramref name="deadline"/>. The first call counts.</summary>
    public void LimitTo(DateTimeOffset deadline) => Interlocked.CompareExchange(ref _deadlineTicks, deadline.UtcTicks, long.MaxValue);

    /// <summary>The time disposal may spend now: the timeout, or less when a deadline is set; never negative.</summary>
    public TimeSpan Left()
    {
        var deadline = Interlocked.Read(ref _deadlineTicks);
        if (deadline == long.MaxValue)
        {
            return timeout;
        }

        var left = new DateTimeOffset(deadline, TimeSpan.Zero) - timeProvider.GetUtcNow();
        return left < TimeSpan.Zero ? TimeSpan.Zero : left < timeout ? left : timeout;
    }
}
