namespace Mixpanel.Identity.Delivery;

/// <summary>
/// When to retry a request that failed transiently: a pure function of the attempt number, the server's
/// <c>Retry-After</c> and a random draw, so it is tested exactly.
/// </summary>
internal static class Backoff
{
    // Mixpanel's guidance for 429 and 5xx: start at 2 s, double up to 60 s, add 1-5 s of jitter.
    public static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan MinJitter = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxJitter = TimeSpan.FromSeconds(5);

    // A Retry-After is honoured, within bounds: at least a second so a zero or past date cannot turn into a tight
    // loop, and at most ten minutes (the mobile SDKs' longest backoff) so a bad header cannot park delivery for days.
    public static readonly TimeSpan MinRetryAfter = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    /// <summary>Uniform draws from [0, 1), safe on any thread: the random input of <see cref="Next"/>.</summary>
    public static Func<double> SharedRandom { get; } = CreateRandom();

    /// <summary>The delay before retry number <paramref name="attempt"/> (0 for the first retry).</summary>
    /// <param name="attempt">How many retries came before this one.</param>
    /// <param name="retryAfter">The server's Retry-After, already turned into a delay, if it sent one.</param>
    /// <param name="random">A uniform draw from [0, 1).</param>
    public static TimeSpan Next(int attempt, TimeSpan? retryAfter, double random)
    {
        if (retryAfter is { } requested)
        {
            return requested < MinRetryAfter ? MinRetryAfter : requested > MaxRetryAfter ? MaxRetryAfter : requested;
        }

        var doublings = Math.Min(Math.Max(attempt, 0), 16);
        var backoff = TimeSpan.FromTicks(Math.Min(FirstDelay.Ticks << doublings, MaxBackoff.Ticks));
        var jitter = MinJitter + TimeSpan.FromTicks((long)((MaxJitter - MinJitter).Ticks * random));
        return backoff + jitter;
    }

    /// <summary>The response's <c>Retry-After</c> as a delay from <paramref name="now"/>: seconds or an HTTP date.</summary>
    public static TimeSpan? ReadRetryAfter(HttpResponseMessage? response, DateTimeOffset now)
    {
        var header = response?.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static Func<double> CreateRandom()
    {
#if NET
        return Random.Shared.NextDouble;
#else
        var random = new Random();
        return () =>
        {
            lock (random)
            {
                return random.NextDouble();
            }
        };
#endif
    }
}
