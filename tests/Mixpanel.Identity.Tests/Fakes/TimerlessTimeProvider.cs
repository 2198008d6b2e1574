namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>A clock that tells the time and makes no timer: the delivery loop's own timer fails a client's start with it.</summary>
internal sealed class TimerlessTimeProvider(TimeProvider time) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

    public override long GetTimestamp() => time.GetTimestamp();

    public override long TimestampFrequency => time.TimestampFrequency;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        throw new NotSupportedException("This clock makes no timer.");
}
