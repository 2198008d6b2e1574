namespace Mixpanel.Identity.Testing;

/// <summary>
/// One user as Mixpanel sees it: the ids that were linked together (user ids, <c>$device:</c> ids, aliases) and the
/// canonical distinct id all their events and profile updates resolve to.
/// </summary>
public sealed class IdentityCluster
{
    internal IdentityCluster(string canonicalId, IReadOnlyList<string> ids, IReadOnlyList<ReceivedRecord> linkingRecords)
    {
        CanonicalId = canonicalId;
        Ids = ids;
        LinkingRecords = linkingRecords;
    }

    /// <summary>The distinct id Mixpanel reports for every event and profile of this user.</summary>
    public string CanonicalId { get; }

    /// <summary>Every id in the cluster, in the order Mixpanel first saw them.</summary>
    public IReadOnlyList<string> Ids { get; }

    /// <summary>The records that linked the ids together, in order; empty for an id that was never linked.</summary>
    public IReadOnlyList<ReceivedRecord> LinkingRecords { get; }

    /// <inheritdoc />
    public override string ToString() => $"{CanonicalId}: {string.Join(", ", Ids)}";
}
