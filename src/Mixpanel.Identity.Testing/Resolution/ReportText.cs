using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Mixpanel.Identity.Testing;

/// <summary>The words the Markdown and HTML reports share.</summary>
internal static class ReportText
{
    internal static string Title(IdMergeApi api) => $"Identity resolution: {SystemName(api)}";

    internal static string SystemName(IdMergeApi api) => api == IdMergeApi.Original ? "Original ID Merge" : "Simplified ID Merge";

    internal static string Summary(IdentityResolution resolution) =>
        $"{Count(resolution.Timeline.Count, "record")}, {Count(resolution.Clusters.Count, "user")}, "
        + $"{Count(resolution.Profiles.Count, "profile")}, {Count(resolution.Findings.Count, "finding")}.";

    /// <summary>A property value as JSON for people to read: no escapes beyond what JSON needs (each report encodes for itself).</summary>
    internal static string Value(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Count(int count, string noun) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? "" : "s")}");

    internal static string KindTitle(IdentityFindingKind kind) => kind switch
    {
        IdentityFindingKind.SecondUserOnDevice => "Second user on a device without reset",
        IdentityFindingKind.AnonymousProfile => "Profile for an anonymous id",
        IdentityFindingKind.OrphanedProfile => "Orphaned profile",
        IdentityFindingKind.ClusterNearLimit => "Cluster near the 500-id limit",
        IdentityFindingKind.ClusterLimitReached => "Cluster limit reached",
        IdentityFindingKind.RepeatedReset => "Same user identified from fresh device ids",
        IdentityFindingKind.PersonalDataAsId => "Id that can change",
        IdentityFindingKind.EventsAfterLogout => "Events after logout",
        IdentityFindingKind.IdentifyIgnored => "$identify ignored",
        IdentityFindingKind.IdentityEventIgnored => "Identity event ignored",
        _ => kind.ToString(),
    };

    /// <summary>Each finding's number in the report, from 1.</summary>
    internal static Dictionary<IdentityFinding, int> FindingNumbers(IdentityResolution resolution) =>
        resolution.Findings
            .Select((finding, index) => (finding, index))
            .ToDictionary(pair => pair.finding, pair => pair.index + 1);

    internal static string RecordReference(ReceivedRecord record) => string.Create(CultureInfo.InvariantCulture, $"#{record.Sequence}");

    internal static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string ProfileStatus(ResolvedProfile profile) =>
        profile.IsOrphaned
            ? $"orphaned: hidden behind {profile.ResolvedDistinctId}, properties lost"
            : profile.IsAnonymous ? "anonymous" : "shown";
}
