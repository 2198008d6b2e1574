namespace Mixpanel.Identity.Testing;

/// <summary>One ID-merge system: the identity graph Mixpanel builds from the records, one record at a time.</summary>
internal interface IIdentityMerge
{
    /// <summary>Processes one event, in order, and says what it did to identities.</summary>
    IdentityEffect Apply(ReceivedRecord record);

    /// <summary>Notes that Mixpanel has seen <paramref name="id"/> (the distinct id of a profile update), linking nothing.</summary>
    void Register(string id);

    /// <summary>The canonical distinct id <paramref name="distinctId"/> resolves to in the graph as it stands now.</summary>
    string Resolve(string distinctId);

    /// <summary>The distinct id an event is attributed to, in the graph as it stands now; <see langword="null"/> if it names none.</summary>
    string? ResolveEvent(ReceivedRecord record);

    /// <summary>Whether the id is anonymous: a <c>$device:</c> id, or (Original) an anonymous id merged by <c>$identify</c>.</summary>
    bool IsAnonymous(string distinctId);

    /// <summary>Every user in the graph as it stands now, in the order Mixpanel first saw them.</summary>
    IReadOnlyList<IdentityCluster> Clusters();
}
