using System.Globalization;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// Original ID Merge: ids are linked only by <c>$identify</c>, <c>$create_alias</c> and <c>$merge</c> events, into identity
/// clusters of at most 500 ids. <c>$device_id</c> and <c>$user_id</c> link nothing here; events are attributed by
/// <c>distinct_id</c>.
/// </summary>
/// <remarks>
/// The rules, from Mixpanel's "Identifying Users (Original)" page and the Identity API reference, with our choices where the
/// docs leave a rule open:
/// <list type="bullet">
/// <item><c>$identify</c> links <c>$anon_id</c> to <c>$identified_id</c> (the API form) or <c>$anon_distinct_id</c> to
/// <c>distinct_id</c> (what the SDKs send); the API form wins when both are present.</item>
/// <item>Mixpanel merges an <c>$anon_id</c> only if it is in UUID v4 form and not already merged to an identified id.
/// Our choice: an anonymous id is a <c>$device:</c> id (whatever follows the prefix) or any UUID. Mixpanel's own SDKs send
/// <c>$device:&lt;id&gt;</c> and it merges; checking the suffix would refuse the seed tables' D1. A previous user id is not
/// anonymous, which is what makes <c>$identify</c> a no-op when an app switches users without a reset.</item>
/// <item>Our reading of "already merged to an identified id": the anonymous id's cluster holds another id that is not
/// anonymous. A cluster of anonymous ids only (two devices joined by <c>$merge</c>) may still be identified.</item>
/// <item><c>$create_alias</c> puts <c>alias</c> into the cluster of <c>distinct_id</c>. "Each alias can only map to one
/// distinct_id": an alias already linked to other ids is refused.</item>
/// <item><c>$merge</c> joins the clusters of its two <c>$distinct_ids</c>, whatever they are. Mixpanel accepts it only on
/// <c>/import</c> (secret-protected); on <c>/track</c> we ignore it, and a list of other than exactly two ids too.</item>
/// <item>A link that would make a cluster exceed 500 ids is refused as a whole: both sides stay as they were and the ids left
/// out remain separate users ("new distinct IDs can no longer be merged into the same cluster").</item>
/// <item>Ids Mixpanel treats as invalid (<c>null</c>, <c>anonymous</c>, <c>0</c>, ...) never take part in a merge.</item>
/// <item>Canonical id: Mixpanel picks one id of the cluster at random and does not let you choose. Our choice: the first id
/// Mixpanel saw that is not anonymous, else the first id seen. It is deterministic, so a test never depends on a coin
/// flip, and it gives the user id the seed tables show. Apps should query their own user id property, never rely on it.</item>
/// <item>An event is attributed by <c>distinct_id</c>; without one, by <c>$user_id</c>, then <c>$device:</c> + <c>$device_id</c>.</item>
/// </list>
/// </remarks>
internal sealed class OriginalIdMerge : IIdentityMerge
{
    private readonly Dictionary<string, Cluster> _clusterOf = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _firstSeen = new(StringComparer.Ordinal);

    // Ids merged as the anonymous side of an $identify: anonymous from then on, whatever they look like.
    private readonly HashSet<string> _mergedAnonymousIds = new(StringComparer.Ordinal);

    public IdentityEffect Apply(ReceivedRecord record)
    {
        switch (record.EventName)
        {
            case ReservedNames.IdentifyEvent:
                return Identify(record);
            case ReservedNames.CreateAliasEvent:
                return CreateAlias(record);
            case ReservedNames.MergeEvent:
                return Merge(record);
            default:
                if (EffectiveId(record) is { } id)
                {
                    Register(id);
                }

                return IdentityEffect.None;
        }
    }

    public string Resolve(string distinctId) =>
        _clusterOf.TryGetValue(distinctId, out var cluster) ? Canonical(cluster) : distinctId;

    public string? ResolveEvent(ReceivedRecord record) => EffectiveId(record) is { } id ? Resolve(id) : null;

    public bool IsAnonymous(string distinctId) =>
        RecordReading.IsDeviceId(distinctId) || _mergedAnonymousIds.Contains(distinctId);

    public IReadOnlyList<IdentityCluster> Clusters() =>
        _clusterOf.Values
            .Distinct()
            .OrderBy(cluster => _firstSeen[cluster.Ids[0]])
            .Select(cluster => new IdentityCluster(Canonical(cluster), cluster.Ids.ToList(), cluster.Links.ToList()))
            .ToList();

    public void Register(string id)
    {
        if (_firstSeen.ContainsKey(id))
        {
            return;
        }

        _firstSeen[id] = _firstSeen.Count;
        var cluster = new Cluster();
        cluster.Ids.Add(id);
        _clusterOf[id] = cluster;
    }

    private static string? EffectiveId(ReceivedRecord record)
    {
        if (!string.IsNullOrEmpty(record.DistinctId))
        {
            return record.DistinctId;
        }

        if (record.EventName == ReservedNames.IdentifyEvent
            && RecordReading.GetString(record.Properties, "$identified_id") is { Length: > 0 } identified)
        {
            return identified;
        }

        if (record.EventName == ReservedNames.MergeEvent && MergeIds(record) is [var first, _])
        {
            return first;
        }

        if (!string.IsNullOrEmpty(record.UserId))
        {
            return record.UserId;
        }

        return string.IsNullOrEmpty(record.DeviceId) ? null : DistinctIds.DevicePrefix + record.DeviceId;
    }

    private static string[]? MergeIds(ReceivedRecord record)
    {
        if (record.Properties.ValueKind != JsonValueKind.Object
            || !record.Properties.TryGetProperty("$distinct_ids", out var ids)
            || ids.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var values = ids.EnumerateArray().ToList();
        return values.All(value => value.ValueKind == JsonValueKind.String)
            ? values.Select(value => value.GetString()!).ToArray()
            : null;
    }

    private IdentityEffect Identify(ReceivedRecord record)
    {
        var identified = RecordReading.GetString(record.Properties, "$identified_id") ?? record.DistinctId;
        var anonymous = RecordReading.GetString(record.Properties, "$anon_id")
            ?? RecordReading.GetString(record.Properties, "$anon_distinct_id");
        if (string.IsNullOrEmpty(identified) || string.IsNullOrEmpty(anonymous))
        {
            return IdentityEffect.Ignored(
                "$identify ignored: no anonymous or identified id",
                "This $identify names no anonymous id ($anon_id or $anon_distinct_id) or no identified id ($identified_id or distinct_id), so Mixpanel links nothing.");
        }

        Register(anonymous);
        Register(identified);
        if (string.Equals(anonymous, identified, StringComparison.Ordinal))
        {
            return IdentityEffect.None;
        }

        if (InvalidPair(anonymous, identified) is { } invalid)
        {
            return IdentityEffect.Ignored(
                $"$identify ignored: '{invalid}' is not a valid id",
                $"Mixpanel treats '{invalid}' as an invalid distinct id and never merges it, so this $identify links {anonymous} to nothing.");
        }

        var anonymousCluster = _clusterOf[anonymous];
        var identifiedCluster = _clusterOf[identified];
        if (anonymousCluster == identifiedCluster)
        {
            return IdentityEffect.Noted($"{anonymous} is already linked to {identified}");
        }

        if (!RecordReading.IsDeviceId(anonymous) && !Guid.TryParse(anonymous, out _))
        {
            return IdentityEffect.Ignored(
                $"$identify ignored: {anonymous} is not an anonymous id",
                $"Original ID Merge merges only an anonymous id (a $device: id or a UUID) through $identify, and '{anonymous}' is neither, so {identified} stays a separate user from {Resolve(anonymous)}. "
                + "This happens when the app identifies a second user without calling Reset() in between.");
        }

        if (HoldsIdentifiedId(anonymousCluster))
        {
            var owner = Canonical(anonymousCluster);
            return IdentityEffect.Ignored(
                $"$identify ignored: {anonymous} already belongs to {owner}",
                $"{anonymous} is already merged with {owner}, and Original ID Merge merges an anonymous id into one identified user only, so this $identify does not link it to {identified}: "
                + $"its events stay with {owner}. Call Reset() when a user logs out so the next user gets a fresh anonymous id.");
        }

        return Link(anonymousCluster, identifiedCluster, record, anonymous, identified, $"Links {anonymous} ⇒ {identified}", anonymousIdentified: true);
    }

    private IdentityEffect CreateAlias(ReceivedRecord record)
    {
        var alias = RecordReading.GetString(record.Properties, "alias");
        var original = record.DistinctId;
        if (string.IsNullOrEmpty(alias) || string.IsNullOrEmpty(original))
        {
            return IdentityEffect.Ignored(
                "$create_alias ignored: no alias or distinct_id",
                "This $create_alias names no alias or no distinct_id, so Mixpanel links nothing.");
        }

        Register(original);
        Register(alias);
        if (string.Equals(alias, original, StringComparison.Ordinal))
        {
            return IdentityEffect.Ignored(
                "$create_alias ignored: alias equals distinct_id",
                $"This $create_alias makes '{alias}' an alias of itself, which links nothing.");
        }

        if (InvalidPair(alias, original) is { } invalid)
        {
            return IdentityEffect.Ignored(
                $"$create_alias ignored: '{invalid}' is not a valid id",
                $"Mixpanel treats '{invalid}' as an invalid distinct id and never merges it, so alias {alias} is not linked to {original}.");
        }

        var aliasCluster = _clusterOf[alias];
        var originalCluster = _clusterOf[original];
        if (aliasCluster == originalCluster)
        {
            return IdentityEffect.Noted($"{alias} is already linked to {original}");
        }

        if (aliasCluster.Ids.Count > 1)
        {
            var owner = Canonical(aliasCluster);
            return IdentityEffect.Ignored(
                $"$create_alias ignored: {alias} already belongs to {owner}",
                $"'{alias}' is already linked to {owner}, and an alias can point to one distinct id only, so Mixpanel does not link it to {original}. Use $merge (through /import) to join two users on purpose.");
        }

        return Link(aliasCluster, originalCluster, record, alias, original, $"Alias {alias} ⇒ {original}", anonymousIdentified: false);
    }

    private IdentityEffect Merge(ReceivedRecord record)
    {
        if (record.Endpoint != MixpanelEndpoint.Import)
        {
            return IdentityEffect.Ignored(
                "$merge ignored: not sent through /import",
                "Mixpanel accepts $merge only through /import, which is protected by the project secret; sent to /track it merges nothing.");
        }

        if (MergeIds(record) is not [var first, var second] || first.Length == 0 || second.Length == 0)
        {
            return IdentityEffect.Ignored(
                "$merge ignored: $distinct_ids must hold exactly two ids",
                "A $merge event must carry $distinct_ids with exactly two string ids; Mixpanel merges nothing otherwise.");
        }

        Register(first);
        Register(second);
        if (string.Equals(first, second, StringComparison.Ordinal))
        {
            return IdentityEffect.None;
        }

        if (InvalidPair(first, second) is { } invalid)
        {
            return IdentityEffect.Ignored(
                $"$merge ignored: '{invalid}' is not a valid id",
                $"Mixpanel treats '{invalid}' as an invalid distinct id and never merges it, so {first} and {second} stay apart.");
        }

        var firstCluster = _clusterOf[first];
        var secondCluster = _clusterOf[second];
        if (firstCluster == secondCluster)
        {
            return IdentityEffect.Noted($"{first} and {second} are already linked");
        }

        return Link(secondCluster, firstCluster, record, second, first, $"Merges {second} + {first}", anonymousIdentified: false);
    }

    private IdentityEffect Link(
        Cluster joining,
        Cluster target,
        ReceivedRecord record,
        string subject,
        string targetId,
        string note,
        bool anonymousIdentified)
    {
        var size = joining.Ids.Count + target.Ids.Count;
        if (size > MixpanelLimits.MaxIdsPerCluster)
        {
            var explanation = string.Create(
                CultureInfo.InvariantCulture,
                $"Linking {subject} to {targetId} would make a cluster of {size} ids, over Original ID Merge's limit of {MixpanelLimits.MaxIdsPerCluster}, so Mixpanel refuses it: {subject} stays a separate user.");
            return new IdentityEffect(
                IdentityOutcome.RefusedAtLimit,
                string.Create(CultureInfo.InvariantCulture, $"Refused: {Canonical(target)}'s cluster would exceed {MixpanelLimits.MaxIdsPerCluster} ids"),
                explanation,
                target: targetId,
                subject: subject,
                clusterSize: target.Ids.Count);
        }

        if (anonymousIdentified)
        {
            _mergedAnonymousIds.Add(subject);
        }

        var merged = Join(joining, target, record);
        return new IdentityEffect(IdentityOutcome.Linked, note, target: targetId, subject: subject, clusterSize: merged.Ids.Count);
    }

    private Cluster Join(Cluster first, Cluster second, ReceivedRecord record)
    {
        // The cluster Mixpanel saw first absorbs the other, so cluster order stays the order users first appeared in.
        var (survivor, absorbed) = _firstSeen[first.Ids[0]] <= _firstSeen[second.Ids[0]] ? (first, second) : (second, first);
        foreach (var id in absorbed.Ids)
        {
            _clusterOf[id] = survivor;
        }

        survivor.Ids.AddRange(absorbed.Ids);
        survivor.Ids.Sort((left, right) => _firstSeen[left].CompareTo(_firstSeen[right]));
        survivor.Links.AddRange(absorbed.Links);
        survivor.Links.Add(record);
        survivor.Links.Sort((left, right) => left.Sequence.CompareTo(right.Sequence));
        return survivor;
    }

    private string Canonical(Cluster cluster)
    {
        // Ids are kept in first-seen order, so the first one that is not anonymous is the earliest.
        foreach (var id in cluster.Ids)
        {
            if (!IsAnonymous(id))
            {
                return id;
            }
        }

        return cluster.Ids[0];
    }

    private bool HoldsIdentifiedId(Cluster cluster) => cluster.Ids.Count > 1 && cluster.Ids.Any(id => !IsAnonymous(id));

    private static string? InvalidPair(string first, string second) =>
        RecordReading.IsInvalid(first) ? first : RecordReading.IsInvalid(second) ? second : null;

    private sealed class Cluster
    {
        public List<string> Ids { get; } = [];

        public List<ReceivedRecord> Links { get; } = [];
    }
}
