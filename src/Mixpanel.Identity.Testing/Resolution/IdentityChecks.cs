using System.Globalization;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

/// <summary>Looks over the whole stream for the patterns that make Mixpanel count users differently from how the app sees them.</summary>
internal sealed class IdentityChecks
{
    // Event names that mean "the user logged out", compared with case, spaces and punctuation removed.
    private static readonly string[] LogoutWords =
        ["logout", "loggedout", "logoff", "loggedoff", "signout", "signedout", "signoff", "signedoff"];

    private readonly IdMergeApi _api;
    private readonly IReadOnlyList<ReceivedRecord> _records;
    private readonly IReadOnlyList<IdentityEffect> _effects;
    private readonly IIdentityMerge _merge;
    private readonly IReadOnlyList<IdentityCluster> _clusters;
    private readonly List<IdentityFinding> _findings = [];
    private Dictionary<string, IdentityCluster>? _clusterOfId;

    internal IdentityChecks(
        IdMergeApi api,
        IReadOnlyList<ReceivedRecord> records,
        IReadOnlyList<IdentityEffect> effects,
        IIdentityMerge merge,
        IReadOnlyList<IdentityCluster> clusters)
    {
        _api = api;
        _records = records;
        _effects = effects;
        _merge = merge;
        _clusters = clusters;
    }

    internal IReadOnlyList<IdentityFinding> Run(IReadOnlyList<ResolvedProfile> profiles)
    {
        CheckSecondUserOnDevice();
        CheckProfiles(profiles);
        CheckClusterLimit();
        CheckRepeatedReset();
        CheckPersonalDataAsId();
        CheckEventsAfterLogout();
        CheckIgnoredIdentityEvents();
        var afterLogout = _findings.Where(f => f.Kind == IdentityFindingKind.EventsAfterLogout).SelectMany(f => f.Records).ToHashSet();
        _findings.AddRange(new BridgeChecks(_records, _merge).Run(afterLogout));

        return _findings
            .OrderBy(finding => finding.Records.Count == 0 ? long.MaxValue : finding.Records[0].Sequence)
            .ThenBy(finding => finding.Kind)
            .ToList();
    }

    internal static bool IsLogout(string? eventName) => Says(eventName, LogoutWords);

    /// <summary>Whether an event's name holds one of <paramref name="words"/>, its case, spaces and punctuation aside.</summary>
    internal static bool Says(string? eventName, IReadOnlyList<string> words)
    {
        if (eventName is null)
        {
            return false;
        }

        var letters = new string(eventName.Where(char.IsLetter).Select(char.ToLowerInvariant).ToArray());
        return words.Any(word => letters.Contains(word, StringComparison.Ordinal));
    }

    private void Add(IdentityFindingKind kind, string message, IEnumerable<ReceivedRecord> records) =>
        _findings.Add(new IdentityFinding(kind, message, records.Distinct().OrderBy(record => record.Sequence).ToList()));

    private IEnumerable<ReceivedRecord> Events => _records.Where(record => record.IsEvent);

    private void CheckSecondUserOnDevice()
    {
        var current = new Dictionary<string, (string User, ReceivedRecord Last)>(StringComparer.Ordinal);
        var reported = new HashSet<(string Device, string User)>();
        foreach (var record in Events)
        {
            if (RecordReading.DeviceOf(record) is not { } device || string.IsNullOrEmpty(record.UserId))
            {
                continue;
            }

            var user = record.UserId;
            if (current.TryGetValue(device, out var previous)
                && !string.Equals(previous.User, user, StringComparison.Ordinal)
                && reported.Add((device, user)))
            {
                var deviceId = DistinctIds.DevicePrefix + device;
                var owner = _merge.Resolve(deviceId);
                var rule = _api == IdMergeApi.Original
                    ? $"Original ID Merge merges an anonymous id into one identified user only, so {deviceId} stays with {owner} and is not merged into {user}."
                    : $"Simplified ID Merge links a device to the first user seen with it and never merges two user ids: events carrying {user} count for {user}, but {deviceId} stays linked to {owner}.";
                Add(
                    IdentityFindingKind.SecondUserOnDevice,
                    $"Device {device} carried user {previous.User} and then user {user} with no Reset() in between. {rule} "
                    + $"Anything tracked on this device without a user id counts as {owner}'s. Call Reset() when a user logs out, so the next user starts from a fresh device id.",
                    [previous.Last, record]);
            }

            current[device] = (user, record);
        }
    }

    private void CheckProfiles(IReadOnlyList<ResolvedProfile> profiles)
    {
        foreach (var profile in profiles)
        {
            var properties = profile.Properties.Count == 0 ? "(none)" : string.Join(", ", profile.Properties.Keys);
            var records = new List<ReceivedRecord>(profile.Updates);
            if (profile.IsOrphaned && LinkAfter(profile) is { } link)
            {
                records.Add(link);
            }

            if (profile.IsAnonymous)
            {
                var outcome = profile.IsOrphaned
                    ? $"{profile.DistinctId} was later linked to {profile.ResolvedDistinctId}; Mixpanel shows only {profile.ResolvedDistinctId}'s profile and does not copy these properties over, so they are lost: {properties}."
                    : $"It stays a separate anonymous user in Mixpanel's Users report, and its properties ({properties}) will be lost if the id is linked to a user later.";
                Add(
                    IdentityFindingKind.AnonymousProfile,
                    $"Profile updates were sent to the anonymous id {profile.DistinctId}, which creates a profile for an anonymous user. {outcome} "
                    + "Send profile updates after Identify() (the client holds them until then), or set them again on the user id once the user is identified.",
                    records);
            }
            else if (profile.IsOrphaned)
            {
                Add(
                    IdentityFindingKind.OrphanedProfile,
                    $"The profile of {profile.DistinctId} is hidden: {profile.DistinctId} was merged into the cluster of {profile.ResolvedDistinctId}, and Mixpanel shows only the canonical id's profile without copying properties over. Lost: {properties}.",
                    records);
            }
        }
    }

    private ReceivedRecord? LinkAfter(ResolvedProfile profile)
    {
        if (_clusterOfId is null)
        {
            _clusterOfId = new Dictionary<string, IdentityCluster>(StringComparer.Ordinal);
            foreach (var cluster in _clusters)
            {
                foreach (var id in cluster.Ids)
                {
                    // The first cluster that holds an id is the one it is found in.
                    _clusterOfId.TryAdd(id, cluster);
                }
            }
        }

        var firstUpdate = profile.Updates.Count == 0 ? -1 : profile.Updates[0].Sequence;
        return _clusterOfId.TryGetValue(profile.DistinctId, out var owner)
            ? owner.LinkingRecords.FirstOrDefault(record => record.Sequence > firstUpdate)
            : null;
    }

    private void CheckClusterLimit()
    {
        if (_api != IdMergeApi.Original)
        {
            return;
        }

        var clusters = _clusters.ToDictionary(cluster => cluster.CanonicalId, StringComparer.Ordinal);
        var nearLimit = new Dictionary<string, ReceivedRecord>(StringComparer.Ordinal);
        var refused = new Dictionary<string, List<(ReceivedRecord Record, string Subject)>>(StringComparer.Ordinal);
        for (var index = 0; index < _records.Count; index++)
        {
            var effect = _effects[index];
            if (effect.Target is null)
            {
                continue;
            }

            var canonical = _merge.Resolve(effect.Target);
            if (effect.Outcome == IdentityOutcome.Linked && effect.ClusterSize >= ResolutionConstants.ClusterWarningThreshold)
            {
                nearLimit.TryAdd(canonical, _records[index]);
            }
            else if (effect.Outcome == IdentityOutcome.RefusedAtLimit)
            {
                if (!refused.TryGetValue(canonical, out var list))
                {
                    list = [];
                    refused[canonical] = list;
                }

                list.Add((_records[index], effect.Subject!));
            }
        }

        foreach (var (canonical, record) in nearLimit)
        {
            var size = clusters.TryGetValue(canonical, out var cluster) ? cluster.Ids.Count : 0;
            Add(
                IdentityFindingKind.ClusterNearLimit,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{canonical}'s identity cluster holds {size} ids; Original ID Merge caps a cluster at {MixpanelLimits.MaxIdsPerCluster}, after which new ids can no longer join and become separate users. ")
                + "A cluster grows by one id each time Reset() is followed by Identify() for the same user: call Reset() only when a different user may sign in.",
                [record]);
        }

        foreach (var (canonical, list) in refused)
        {
            var size = clusters.TryGetValue(canonical, out var cluster) ? cluster.Ids.Count : 0;
            var subjects = list.Select(item => item.Subject).Distinct(StringComparer.Ordinal).ToList();
            var named = string.Join(", ", subjects.Take(3)) + (subjects.Count > 3 ? ", ..." : "");
            Add(
                IdentityFindingKind.ClusterLimitReached,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{list.Count} merge(s) into {canonical}'s identity cluster were refused: it holds {size} ids and Original ID Merge caps a cluster at {MixpanelLimits.MaxIdsPerCluster}. ")
                + $"The ids that could not join ({named}) stay separate users, so their events do not count for {canonical}. Stop calling Reset() while the same user stays signed in.",
                list.Select(item => item.Record));
        }
    }

    private void CheckRepeatedReset()
    {
        var firstUserOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var devicesOf = new Dictionary<string, List<(string Device, ReceivedRecord First)>>(StringComparer.Ordinal);
        foreach (var record in Events)
        {
            if (RecordReading.DeviceOf(record) is not { } device || string.IsNullOrEmpty(record.UserId) || !firstUserOf.TryAdd(device, record.UserId))
            {
                continue;
            }

            if (!devicesOf.TryGetValue(record.UserId, out var devices))
            {
                devices = [];
                devicesOf[record.UserId] = devices;
            }

            devices.Add((device, record));
        }

        foreach (var (user, devices) in devicesOf)
        {
            if (devices.Count < ResolutionConstants.RepeatedResetDeviceCount)
            {
                continue;
            }

            var named = string.Join(", ", devices.Take(4).Select(item => item.Device)) + (devices.Count > 4 ? ", ..." : "");
            var consequence = _api == IdMergeApi.Original
                ? $"In Original ID Merge each login adds the new device id to {user}'s cluster, which holds at most {MixpanelLimits.MaxIdsPerCluster.ToString(CultureInfo.InvariantCulture)} ids; past that, new sessions become separate users."
                : "Simplified ID Merge has no cluster limit, so nothing is lost, but every reset starts a new anonymous user that stays apart until the next event carrying the user id.";
            Add(
                IdentityFindingKind.RepeatedReset,
                string.Create(CultureInfo.InvariantCulture, $"{user} was identified from {devices.Count} different device ids ({named}). ")
                + "Reset() gives the device a fresh id, so calling it on every app start or on a profile switch makes the same user log in again and again. "
                + $"{consequence} Call Reset() only on logout, not on a profile switch within the same account; if these really are different devices, all is well.",
                devices.Select(item => item.First));
        }
    }

    private void CheckPersonalDataAsId()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in _records)
        {
            if (record.Endpoint == MixpanelEndpoint.Groups)
            {
                continue;
            }

            foreach (var id in IdsOf(record))
            {
                if (!seen.Add(id))
                {
                    continue;
                }

                if (PersonalData.LooksLikeEmail(id))
                {
                    Add(
                        IdentityFindingKind.PersonalDataAsId,
                        $"The id '{id}' looks like an email address. Ids must never change, and Mixpanel can neither rename a user id nor (in Simplified ID Merge) merge two: a user who changes their email becomes a new user. "
                        + "Identify users by a stable id from your database and set the email as the $email profile property.",
                        [record]);
                }
                else if (PersonalData.LooksLikePhoneNumber(id))
                {
                    Add(
                        IdentityFindingKind.PersonalDataAsId,
                        $"The id '{id}' looks like a phone number. Ids must never change, and Mixpanel can neither rename a user id nor (in Simplified ID Merge) merge two: a user who changes their number becomes a new user. "
                        + "Identify users by a stable account id from your database and set the number as the $phone profile property.",
                        [record]);
                }
            }
        }
    }

    private static IEnumerable<string> IdsOf(ReceivedRecord record)
    {
        if (!string.IsNullOrEmpty(record.UserId))
        {
            yield return record.UserId;
        }

        if (!string.IsNullOrEmpty(record.DistinctId) && !RecordReading.IsDeviceId(record.DistinctId))
        {
            yield return record.DistinctId;
        }

        if (!record.IsEvent)
        {
            yield break;
        }

        foreach (var name in new[] { "$identified_id", "alias" })
        {
            if (RecordReading.GetString(record.Properties, name) is { Length: > 0 } id && !RecordReading.IsDeviceId(id))
            {
                yield return id;
            }
        }

        if (record.Properties.ValueKind == JsonValueKind.Object
            && record.Properties.TryGetProperty("$distinct_ids", out var ids)
            && ids.ValueKind == JsonValueKind.Array)
        {
            foreach (var id in ids.EnumerateArray())
            {
                if (id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } value && !RecordReading.IsDeviceId(value))
                {
                    yield return value;
                }
            }
        }
    }

    private void CheckEventsAfterLogout()
    {
        var events = Events.ToList();
        for (var index = 0; index < events.Count; index++)
        {
            var logout = events[index];
            if (!IsLogout(logout.EventName) || string.IsNullOrEmpty(logout.UserId) || RecordReading.DeviceOf(logout) is not { } device)
            {
                continue;
            }

            var user = logout.UserId;
            var resolvedUser = _merge.Resolve(user);
            var after = new List<ReceivedRecord>();
            foreach (var next in events.Skip(index + 1))
            {
                if (!string.Equals(RecordReading.DeviceOf(next), device, StringComparison.Ordinal))
                {
                    continue;
                }

                if (IsLogout(next.EventName))
                {
                    break;
                }

                var carriesUser = string.Equals(next.UserId, user, StringComparison.Ordinal)
                    || (string.IsNullOrEmpty(next.UserId) && string.Equals(_merge.ResolveEvent(next), resolvedUser, StringComparison.Ordinal));
                if (carriesUser)
                {
                    after.Add(next);
                }
            }

            if (after.Count > 0)
            {
                Add(
                    IdentityFindingKind.EventsAfterLogout,
                    string.Create(CultureInfo.InvariantCulture, $"{after.Count} event(s) tracked after '{logout.EventName}' on device {device} still belong to {resolvedUser}: ")
                    + $"without Reset() at logout, whoever uses the app next is counted as {resolvedUser}. Call Reset() when the user logs out.",
                    after.Prepend(logout));
            }
        }
    }

    private void CheckIgnoredIdentityEvents()
    {
        for (var index = 0; index < _records.Count; index++)
        {
            var effect = _effects[index];
            if (effect.Outcome != IdentityOutcome.Ignored || effect.Explanation is null)
            {
                continue;
            }

            var kind = _records[index].EventName == ReservedNames.IdentifyEvent
                ? IdentityFindingKind.IdentifyIgnored
                : IdentityFindingKind.IdentityEventIgnored;
            Add(kind, effect.Explanation, [_records[index]]);
        }
    }
}
