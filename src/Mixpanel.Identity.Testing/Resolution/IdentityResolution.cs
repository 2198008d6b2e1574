namespace Mixpanel.Identity.Testing;

/// <summary>What Mixpanel makes of a stream of records: users, the resolved timeline, profiles and findings.</summary>
public sealed class IdentityResolution
{
    private readonly IIdentityMerge _merge;
    private readonly Dictionary<string, string?> _resolvedByInsertId = new(StringComparer.Ordinal);

    internal IdentityResolution(
        IdMergeApi api,
        IIdentityMerge merge,
        IReadOnlyList<IdentityCluster> clusters,
        IReadOnlyList<TimelineRow> timeline,
        IReadOnlyList<ResolvedProfile> profiles,
        IReadOnlyList<IdentityFinding> findings)
    {
        Api = api;
        _merge = merge;
        Clusters = clusters;
        Timeline = timeline;
        Profiles = profiles;
        Findings = findings;
        foreach (var row in timeline)
        {
            if (row.Record.IsEvent && row.Record.InsertId is { } insertId)
            {
                _resolvedByInsertId.TryAdd(insertId, row.ResolvedDistinctId);
            }
        }
    }

    /// <summary>The ID-merge system the records were resolved under.</summary>
    public IdMergeApi Api { get; }

    /// <summary>Every user Mixpanel sees, in the order their first id appeared, including ids that were never linked.</summary>
    public IReadOnlyList<IdentityCluster> Clusters { get; }

    /// <summary>One row per record, in the order Mixpanel processed them.</summary>
    public IReadOnlyList<TimelineRow> Timeline { get; }

    /// <summary>Every profile the updates created, in the order they were created; orphaned profiles included.</summary>
    public IReadOnlyList<ResolvedProfile> Profiles { get; }

    /// <summary>What in the stream will make Mixpanel count users differently from how the app sees them; empty for a clean stream.</summary>
    public IReadOnlyList<IdentityFinding> Findings { get; }

    /// <summary>The canonical distinct id <paramref name="distinctId"/> finally resolves to; the id itself if Mixpanel never linked it.</summary>
    /// <param name="distinctId">Any id: a user id, an alias, or a device id written as <c>$device:&lt;device_id&gt;</c>.</param>
    /// <returns>The canonical distinct id of its cluster.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="distinctId"/> is <see langword="null"/>.</exception>
    public string ResolveDistinctId(string distinctId)
    {
        ArgumentNullException.ThrowIfNull(distinctId);
        return _merge.Resolve(distinctId);
    }

    /// <summary>The distinct id the event with this <c>$insert_id</c> is finally attributed to.</summary>
    /// <param name="insertId">The event's <c>$insert_id</c>.</param>
    /// <returns>The resolved distinct id; <see langword="null"/> if no event carries that <c>$insert_id</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="insertId"/> is <see langword="null"/>.</exception>
    public string? ResolvedDistinctIdOf(string insertId)
    {
        ArgumentNullException.ThrowIfNull(insertId);
        return _resolvedByInsertId.TryGetValue(insertId, out var resolved) ? resolved : null;
    }

    /// <summary>The profile Mixpanel shows for the user <paramref name="distinctId"/> resolves to, if it has one.</summary>
    /// <param name="distinctId">Any id of the user.</param>
    /// <returns>The visible profile; <see langword="null"/> if the user has none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="distinctId"/> is <see langword="null"/>.</exception>
    public ResolvedProfile? ProfileOf(string distinctId)
    {
        var canonical = ResolveDistinctId(distinctId);
        return Profiles.FirstOrDefault(profile => !profile.IsOrphaned && string.Equals(profile.DistinctId, canonical, StringComparison.Ordinal));
    }

    /// <summary>
    /// The timeline as a Markdown table in the form of Mixpanel's identity docs (Event, <c>$device_id</c>, <c>$user_id</c>,
    /// distinct id as sent and as resolved, notes), followed by the findings, the users and the profiles.
    /// </summary>
    /// <returns>The Markdown text.</returns>
    public string ToMarkdown() => ResolutionMarkdown.Write(this);

    /// <summary>
    /// The same report as one self-contained HTML page (inline CSS, no scripts, no external assets): findings are marked on
    /// the rows they concern and listed below the table. Every value is HTML-encoded.
    /// </summary>
    /// <returns>The HTML document.</returns>
    public string ToHtml() => ResolutionHtml.Write(this);
}
