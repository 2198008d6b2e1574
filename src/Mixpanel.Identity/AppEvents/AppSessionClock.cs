namespace Mixpanel.Identity.AppEvents;

/// <summary>
/// The app's foreground sessions, on the injected clock's monotonic time: one starts when the client is made or the app
/// comes to the foreground, and ends when it goes to the background. A session counts from
/// <see cref="MixpanelOptions.MinimumSessionDuration"/> on, and its length is in seconds to one decimal, as Mixpanel's
/// mobile SDKs report <c>$ae_session_length</c>.
/// </summary>
internal sealed class AppSessionClock(TimeProvider time, TimeSpan minimum)
{
    private readonly object _gate = new();
    private long? _startedAt = time.GetTimestamp();

    /// <summary>Starts a session unless one is running (a second foreground signal keeps the first start).</summary>
    public void Start()
    {
        lock (_gate)
        {
            _startedAt ??= time.GetTimestamp();
        }
    }

    /// <summary>Ends the running session: its length in seconds, or null when none was running or it was shorter than the minimum.</summary>
    public double? End()
    {
        long startedAt;
        lock (_gate)
        {
            if (_startedAt is not { } started)
            {
                return null;
            }

            startedAt = started;
            _startedAt = null;
        }

        var length = time.GetElapsedTime(startedAt);
        return length >= minimum ? Math.Round(length.TotalSeconds, 1, MidpointRounding.AwayFromZero) : null;
    }
}
