namespace Mixpanel.Identity.Compatibility;

/// <summary>Timer-based waits on an injected <see cref="TimeProvider"/>, with one spelling on every target framework.</summary>
internal static class TimeProviderShims
{
    public static Task DelayAsync(this TimeProvider timeProvider, TimeSpan delay, CancellationToken cancellationToken)
    {
#if NET8_0_OR_GREATER
        return Task.Delay(delay, timeProvider, cancellationToken);
#else
        return TimeProviderTaskExtensions.Delay(timeProvider, delay, cancellationToken);
#endif
    }

    public static CancellationTokenSource CreateTimeoutSource(this TimeProvider timeProvider, TimeSpan delay)
    {
#if NET8_0_OR_GREATER
        return new CancellationTokenSource(delay, timeProvider);
#else
        return TimeProviderTaskExtensions.CreateCancellationTokenSource(timeProvider, delay);
#endif
    }
}
