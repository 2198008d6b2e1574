using System.Security;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.AppEvents;

/// <summary>
/// The app events Mixpanel's mobile SDKs (mixpanel-swift, mixpanel-android) track by themselves, for a .NET app that
/// tells the client when it comes to the foreground and goes to the background: <c>$ae_first_open</c> once per
/// installation, <c>$ae_updated</c> when the app's version goes up, and <c>$ae_session</c> with its length when a
/// foreground session ends, adding to the profile's session count and total length.
/// </summary>
internal sealed class AppLifecycle
{
    // The names and properties the mobile SDKs send (mixpanel-swift AutomaticEvents.swift; mixpanel-android
    // MixpanelActivityLifecycleCallbacks and MixpanelAPI).
    public const string FirstOpenEvent = "$ae_first_open";
    public const string FirstOpenDate = "$ae_first_app_open_date";
    public const string UpdatedEvent = "$ae_updated";
    public const string UpdatedVersion = "$ae_updated_version";
    public const string SessionEvent = "$ae_session";
    public const string SessionLength = "$ae_session_length";
    public const string TotalSessions = "$ae_total_app_sessions";
    public const string TotalSessionLength = "$ae_total_app_session_length";

    private readonly SessionStart _start;
    private readonly TimeProvider _time;
    private readonly AppSessionClock _sessions;

    public AppLifecycle(SessionStart start, TimeProvider time, TimeSpan minimumSessionDuration)
    {
        _start = start;
        _time = time;
        _sessions = new AppSessionClock(time, minimumSessionDuration);
    }

    /// <summary>
    /// Tracks the first open of a new installation and an update to a higher version, from the state stored in
    /// <paramref name="directory"/>, and stores the new state; called as the client starts, before the calls the app
    /// made meanwhile reach <paramref name="session"/>, and stamped with the time the client was made,
    /// <paramref name="madeAt"/>. Without a directory (storage in memory) there is nothing to remember an installation
    /// by, so neither is tracked. A device that ran the client before app events were on (<paramref name="newDevice"/>
    /// false, no state stored) is not new: its first open is not tracked, as the mobile SDKs skip it for an existing user.
    /// </summary>
    public static void TrackStart(IdentitySession session, string? directory, bool newDevice, string? appVersion, DateTimeOffset madeAt, ILogger logger)
    {
        if (directory is null)
        {
            return;
        }

        var stored = AppInstallFile.Read(directory);
        var firstOpen = stored is null && newDevice;
        var updated = stored?.AppVersion is { } before && appVersion is not null && AppVersionOrder.Compare(appVersion, before) > 0;
        if (firstOpen)
        {
            session.Track(FirstOpenEvent, PropertyMap.Empty, madeAt);
            session.UpdateProfile(ProfileUpdate.ForProperty(ProfileOperation.SetOnce, FirstOpenDate, madeAt));
        }

        if (updated)
        {
            session.Track(UpdatedEvent, new PropertyMap([new(UpdatedVersion, appVersion)]), madeAt);
        }

        // As the mobile SDKs do, a lower version is not stored: going back up to the version stored is no update.
        var next = new AppInstallFile(FirstOpenSeen: true, stored?.AppVersion is null || updated ? appVersion : stored.AppVersion);
        if (next != stored)
        {
            try
            {
                next.Write(directory);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or SecurityException)
            {
                Log.AppEventsStateNotSaved(logger, exception);
            }
        }
    }

    /// <summary>The app came to the foreground: a session starts, unless one is running.</summary>
    public void Foregrounded() => _sessions.Start();

    /// <summary>The app went to the background or is closing: the session ends, and is tracked if it lasted long enough.</summary>
    public void Backgrounded()
    {
        if (_sessions.End() is { } length)
        {
            var endedAt = _time.GetUtcNow();
            _start.Run(session =>
            {
                session.Track(SessionEvent, new PropertyMap([new(SessionLength, length)]), endedAt);
                session.UpdateProfile(ProfileUpdate.ForProperty(ProfileOperation.Add, TotalSessions, 1.0));
                session.UpdateProfile(ProfileUpdate.ForProperty(ProfileOperation.Add, TotalSessionLength, length));
            });
        }
    }
}
