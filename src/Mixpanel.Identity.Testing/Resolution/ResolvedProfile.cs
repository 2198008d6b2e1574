using System.Text.Json;

namespace Mixpanel.Identity.Testing;

/// <summary>A user profile after every update in the stream, and whether Mixpanel still shows it.</summary>
public sealed class ResolvedProfile
{
    internal ResolvedProfile(
        string distinctId,
        IReadOnlyDictionary<string, JsonElement> properties,
        bool isAnonymous,
        string resolvedDistinctId,
        IReadOnlyList<ReceivedRecord> updates)
    {
        DistinctId = distinctId;
        Properties = properties;
        IsAnonymous = isAnonymous;
        ResolvedDistinctId = resolvedDistinctId;
        Updates = updates;
    }

    /// <summary>The distinct id the profile lives on: the canonical id its updates resolved to when they were processed.</summary>
    public string DistinctId { get; }

    /// <summary>The profile's properties after applying its updates in order.</summary>
    public IReadOnlyDictionary<string, JsonElement> Properties { get; }

    /// <summary>Whether the profile lives on an anonymous id (a <c>$device:</c> id, or an anonymous id merged by <c>$identify</c>).</summary>
    public bool IsAnonymous { get; }

    /// <summary>The canonical distinct id the profile's id resolves to after the whole stream.</summary>
    public string ResolvedDistinctId { get; }

    /// <summary>
    /// Whether the profile is hidden: its id was later merged into a cluster with another canonical id. Mixpanel shows only
    /// the canonical id's profile and does not copy properties over, so these properties are lost.
    /// </summary>
    public bool IsOrphaned => !string.Equals(DistinctId, ResolvedDistinctId, StringComparison.Ordinal);

    /// <summary>The profile updates applied to it, in order.</summary>
    public IReadOnlyList<ReceivedRecord> Updates { get; }

    /// <inheritdoc />
    public override string ToString() => IsOrphaned ? $"{DistinctId} (orphaned, now {ResolvedDistinctId})" : DistinctId;
}
