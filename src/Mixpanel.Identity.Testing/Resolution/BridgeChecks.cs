using System.Globalization;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// The mistakes of a site whose server and page both track: a logout whose events land on the user who left, server page
/// views on a device id the page's library never adopted, and one browser's anonymous events split across two users.
/// Events are compared by their time, not by when they arrived: a server's events often arrive after the page's.
/// </summary>
internal sealed class BridgeChecks(IReadOnlyList<ReceivedRecord> records, IIdentityMerge merge)
{
    /// <summary>How close in time a server event and a page event must be to be taken for one visit of one browser.</summary>
    internal static readonly TimeSpan SameVisit = TimeSpan.FromMinutes(30);

    private const string BrowserLibrary = "web";

    // Event names that mean "the user signed in", compared as IdentityChecks compares logouts.
    private static readonly string[] LoginWords = ["login", "loggedin", "logon", "signin", "signedin", "signup", "signedup"];

    private static readonly string[] PageViewEvents = ["$mp_web_page_view", "mp_page_view"];

    private readonly List<ReceivedRecord> _events = records.Where(record => record.IsEvent && record.Time is not null).OrderBy(record => record.Time).ThenBy(record => record.Sequence).ToList();

    /// <summary>The findings; <paramref name="reportedAfterLogout"/> are events <see cref="IdentityFindingKind.EventsAfterLogout"/> already names.</summary>
    public IEnumerable<IdentityFinding> Run(IReadOnlySet<ReceivedRecord> reportedAfterLogout) =>
        EventsAfterLogout(reportedAfterLogout).Concat(ServerPageViewsOnly()).Concat(BrowserSplits());

    private IEnumerable<IdentityFinding> EventsAfterLogout(IReadOnlySet<ReceivedRecord> reported)
    {
        var named = new HashSet<ReceivedRecord>(reported);
        foreach (var logout in _events.Where(e => IdentityChecks.IsLogout(e.EventName) && !string.IsNullOrEmpty(e.UserId)))
        {
            var user = logout.UserId!;
            var resolvedUser = merge.Resolve(user);
            var device = RecordReading.DeviceOf(logout);

            // A device the user signs in on again is theirs again, with what it did anonymously before.
            var back = _events
                .Where(e => e.Time > logout.Time && e.UserId == user && (IsLogin(e.EventName) || e.EventName == ReservedNames.IdentifyEvent))
                .Select(RecordReading.DeviceOf)
                .ToHashSet(StringComparer.Ordinal);
            var after = _events
                .Where(e => e.Time > logout.Time && !back.Contains(RecordReading.DeviceOf(e)) && !IdentityChecks.IsLogout(e.EventName) && !named.Contains(e))
                .Where(e => string.IsNullOrEmpty(e.UserId) ? merge.ResolveEvent(e) == resolvedUser : e.UserId == user && RecordReading.DeviceOf(e) == device)
                .ToList();
            if (after.Count == 0)
            {
                continue;
            }

            named.UnionWith(after);
            yield return Finding(
                IdentityFindingKind.EventsAfterLogoutOnPreviousUser,
                string.Create(CultureInfo.InvariantCulture, $"{after.Count} event(s) tracked after '{logout.EventName}' of {user} (by their time) land on {resolvedUser}: ")
                + "whoever uses the browser next is counted as the user who left. A logout must leave the browser one new anonymous device id, on the server and in the page: "
                + "never send the logout with a device id the page's library has just reset to, and reset the library (or let the server write its cookie) at logout.",
                after.Prepend(logout));
        }
    }

    private IEnumerable<IdentityFinding> ServerPageViewsOnly()
    {
        if (!_events.Any(e => Library(e) == BrowserLibrary))
        {
            yield break;
        }

        foreach (var user in _events.GroupBy(e => merge.ResolveEvent(e) ?? string.Empty, StringComparer.Ordinal))
        {
            if (user.Key.Length > 0 && user.All(e => PageViewEvents.Contains(e.EventName) && Library(e) != BrowserLibrary))
            {
                yield return Finding(
                    IdentityFindingKind.ServerPageViewsOnly,
                    string.Create(CultureInfo.InvariantCulture, $"{user.Key} is a user made only of {user.Count()} server-side page view(s): the page's browser library never continued its device id. ")
                    + "Each such visit counts as one more user and breaks funnels at their first step. The server must give the library its device id in the first response "
                    + "(the library's own cookie), and the page must not reset the library after the server has reset the visitor.",
                    user);
            }
        }
    }

    private IEnumerable<IdentityFinding> BrowserSplits()
    {
        var reported = new HashSet<(string, string)>();
        // Side by side: one right after the other among the browser's events, signed in or not; a sign-in or a logout
        // between two anonymous events makes them two people's.
        foreach (var browser in _events.Where(e => RecordReading.DeviceOf(e) is not null && Fingerprint(e) is not null).GroupBy(Fingerprint, StringComparer.Ordinal))
        {
            var visits = browser.ToList();
            for (var index = 1; index < visits.Count; index++)
            {
                var (before, next) = (visits[index - 1], visits[index]);
                var (first, second) = (RecordReading.DeviceOf(before)!, RecordReading.DeviceOf(next)!);
                if (!string.IsNullOrEmpty(before.UserId) || !string.IsNullOrEmpty(next.UserId)
                    || first == second
                    || (Library(before) == BrowserLibrary) == (Library(next) == BrowserLibrary)
                    || next.Time - before.Time > (long)SameVisit.TotalMilliseconds
                    || merge.ResolveEvent(before) == merge.ResolveEvent(next)
                    || !reported.Add(string.CompareOrdinal(first, second) < 0 ? (first, second) : (second, first)))
                {
                    continue;
                }

                var split = visits.Where(e => string.IsNullOrEmpty(e.UserId) && RecordReading.DeviceOf(e) is { } device && (device == first || device == second)).ToList();
                yield return Finding(
                    IdentityFindingKind.BrowserSplitAcrossUsers,
                    $"One browser's anonymous events (same address and browser, the server's and the page's side by side) are split between devices {first} and {second}, "
                    + $"which are users {merge.ResolveEvent(before)} and {merge.ResolveEvent(next)}: the server and the page's library each keep a device id of their own, "
                    + "so one visitor counts as two. The server must continue the library's device id (its cookie), and a logout must end both on one new id.",
                    split);
            }
        }
    }

    private static IdentityFinding Finding(IdentityFindingKind kind, string message, IEnumerable<ReceivedRecord> found) =>
        new(kind, message, found.Distinct().OrderBy(record => record.Sequence).ToList());

    private static string? Library(ReceivedRecord record) => RecordReading.GetString(record.Properties, "mp_lib");

    private static bool IsLogin(string? eventName) => IdentityChecks.Says(eventName, LoginWords);

    // What a browser shows of itself on every event, from the page's library and from a server that reads its request alike.
    private static string? Fingerprint(ReceivedRecord record)
    {
        var browser = RecordReading.GetString(record.Properties, "$browser");
        if ((record.GeolocationIp ?? RecordReading.GetString(record.Properties, "ip")) is not { } ip || browser is null)
        {
            return null;
        }

        var version = record.Properties.TryGetProperty("$browser_version", out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : (double?)null;
        return string.Create(CultureInfo.InvariantCulture, $"{ip}|{browser}|{version}|{RecordReading.GetString(record.Properties, "$os")}");
    }
}
