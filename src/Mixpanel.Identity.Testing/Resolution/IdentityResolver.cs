using System.Globalization;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// Computes what Mixpanel makes of the records it received: who the users are, which distinct id every event ends up under,
/// what every profile holds, and what in the stream will surprise you in Mixpanel's reports.
/// </summary>
/// <remarks>
/// The resolution is pure and deterministic. Records are processed in <see cref="ReceivedRecord.Sequence"/> order, the order
/// Mixpanel processes them in. Events resolve retroactively (the final state after the whole stream, as Mixpanel's reports
/// show it); profile updates resolve when they are processed, because merging never moves profile properties.
/// </remarks>
public static class IdentityResolver
{
    /// <summary>Resolves <paramref name="records"/> under the ID-merge system <paramref name="api"/>.</summary>
    /// <param name="records">The records Mixpanel received: events from <c>/track</c> and <c>/import</c>, profile updates from <c>/engage</c>.</param>
    /// <param name="api">The ID-merge system of the project they were sent to.</param>
    /// <returns>The users, the per-record timeline, the profiles and the findings.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="records"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="records"/> contains <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="api"/> is not a defined <see cref="IdMergeApi"/>.</exception>
    public static IdentityResolution Resolve(IEnumerable<ReceivedRecord> records, IdMergeApi api)
    {
        ArgumentNullException.ThrowIfNull(records);
        IIdentityMerge merge = api switch
        {
            IdMergeApi.Original => new OriginalIdMerge(),
            IdMergeApi.Simplified => new SimplifiedIdMerge(),
            _ => throw new ArgumentOutOfRangeException(nameof(api), api, "Unknown ID-merge system."),
        };

        var list = records.ToList();
        if (list.Contains(null!))
        {
            throw new ArgumentException("The records contain null.", nameof(records));
        }

        var ordered = list.OrderBy(record => record.Sequence).ToList();
        var effects = new List<IdentityEffect>(ordered.Count);
        var profileTargets = new string?[ordered.Count];
        var profileNotes = new string?[ordered.Count];
        var book = new ProfileBook();
        for (var index = 0; index < ordered.Count; index++)
        {
            var record = ordered[index];
            if (record.IsEvent)
            {
                effects.Add(merge.Apply(record));
                continue;
            }

            // Profile and group updates link no ids; a profile update's distinct id is a user Mixpanel has now seen.
            effects.Add(IdentityEffect.None);
            if (record.Endpoint == MixpanelEndpoint.Groups || string.IsNullOrEmpty(record.DistinctId))
            {
                continue;
            }

            merge.Register(record.DistinctId);
            if (record.Endpoint == MixpanelEndpoint.Engage)
            {
                // Resolved now, not at the end: a profile update lands on whatever the id resolves to when it is processed.
                var target = merge.Resolve(record.DistinctId);
                profileTargets[index] = target;
                profileNotes[index] = book.Apply(record, target);
            }
        }

        var profiles = book.Profiles
            .Select(profile => new ResolvedProfile(
                profile.DistinctId,
                profile.Snapshot(),
                merge.IsAnonymous(profile.DistinctId),
                merge.Resolve(profile.DistinctId),
                profile.Updates.ToList()))
            .ToList();
        var clusters = merge.Clusters();
        var findings = new IdentityChecks(api, ordered, effects, merge, clusters).Run(profiles);
        var timeline = BuildTimeline(ordered, effects, profileTargets, profileNotes, merge, findings);
        return new IdentityResolution(api, merge, clusters, timeline, profiles, findings);
    }

    private static List<TimelineRow> BuildTimeline(
        List<ReceivedRecord> records,
        List<IdentityEffect> effects,
        string?[] profileTargets,
        string?[] profileNotes,
        IIdentityMerge merge,
        IReadOnlyList<IdentityFinding> findings)
    {
        var findingsOf = new Dictionary<ReceivedRecord, List<IdentityFinding>>(ReferenceEqualityComparer.Instance);
        foreach (var finding in findings)
        {
            foreach (var record in finding.Records)
            {
                if (!findingsOf.TryGetValue(record, out var list))
                {
                    list = [];
                    findingsOf[record] = list;
                }

                list.Add(finding);
            }
        }

        // Mixpanel keeps one event per (event, distinct_id, time, $insert_id); a retried batch arrives twice.
        var firstOfDuplicate = new Dictionary<DeduplicationKey, ReceivedRecord>();
        var rows = new List<TimelineRow>(records.Count);
        for (var index = 0; index < records.Count; index++)
        {
            var record = records[index];
            var notes = new List<string>();
            string? resolved;
            if (record.IsEvent)
            {
                resolved = merge.ResolveEvent(record);
                if (effects[index].Note.Length > 0)
                {
                    notes.Add(effects[index].Note);
                }

                if (record.DistinctId is not null && resolved is not null && !string.Equals(record.DistinctId, resolved, StringComparison.Ordinal))
                {
                    notes.Add("Retroactively updated");
                }

                if (DeduplicationKey.AsSent(record) is { } key)
                {
                    if (firstOfDuplicate.TryGetValue(key, out var first))
                    {
                        notes.Add(string.Create(CultureInfo.InvariantCulture, $"Duplicate of #{first.Sequence}: Mixpanel keeps one"));
                    }
                    else
                    {
                        firstOfDuplicate.Add(key, record);
                    }
                }
            }
            else if (record.Endpoint == MixpanelEndpoint.Groups)
            {
                resolved = null;
                notes.Add("Group profile update: not part of user identity");
            }
            else
            {
                resolved = profileTargets[index];
                if (resolved is null)
                {
                    notes.Add("Profile update without $distinct_id: Mixpanel applies it to no one");
                }
                else
                {
                    notes.Add(profileNotes[index]!);
                    var final = merge.Resolve(resolved);
                    if (!string.Equals(final, resolved, StringComparison.Ordinal))
                    {
                        notes.Add($"Lost: {resolved} now resolves to {final}, whose profile does not get these properties");
                    }
                }
            }

            rows.Add(new TimelineRow(
                record,
                RecordReading.LabelOf(record),
                resolved,
                string.Join("; ", notes),
                findingsOf.TryGetValue(record, out var rowFindings) ? rowFindings : []));
        }

        return rows;
    }
}
