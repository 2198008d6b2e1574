namespace Mixpanel.Identity.Testing;

/// <summary>One record as Mixpanel resolves it: the identity it was sent with and the distinct id it ends up under.</summary>
public sealed class TimelineRow
{
    internal TimelineRow(
        ReceivedRecord record,
        string label,
        string? resolvedDistinctId,
        string notes,
        IReadOnlyList<IdentityFinding> findings)
    {
        Record = record;
        Label = label;
        ResolvedDistinctId = resolvedDistinctId;
        Notes = notes;
        Findings = findings;
    }

    /// <summary>The record itself.</summary>
    public ReceivedRecord Record { get; }

    /// <summary>The event name, or the profile operation (for example <c>profile $set</c>) of a profile update.</summary>
    public string Label { get; }

    /// <summary>The <c>$device_id</c> the record carries, if any.</summary>
    public string? DeviceId => Record.DeviceId;

    /// <summary>The <c>$user_id</c> the record carries, if any.</summary>
    public string? UserId => Record.UserId;

    /// <summary>The distinct id as the record was sent (<c>distinct_id</c> or <c>$distinct_id</c>), if any.</summary>
    public string? SentDistinctId => Record.DistinctId;

    /// <summary>
    /// For an event, the distinct id Mixpanel finally attributes it to (retroactively, after every merge in the stream);
    /// for a profile update, the profile it was applied to when it was processed. <see langword="null"/> for group updates.
    /// </summary>
    public string? ResolvedDistinctId { get; }

    /// <summary>What the record did to identities and profiles, for example <c>Links $device:D1 ⇒ U1</c>; empty if nothing.</summary>
    public string Notes { get; }

    /// <summary>The findings this record is part of.</summary>
    public IReadOnlyList<IdentityFinding> Findings { get; }

    /// <inheritdoc />
    public override string ToString() => $"#{Record.Sequence} {Label}: {SentDistinctId} => {ResolvedDistinctId}";
}
