namespace Mixpanel.Identity.Testing;

/// <summary>
/// What Mixpanel deduplicates events on: (event, distinct_id, time, <c>$insert_id</c>), keeping the first. An event without
/// <c>$insert_id</c> is never deduplicated, and profile updates are all applied (MIXPANEL.md).
/// </summary>
internal readonly record struct DeduplicationKey(string? EventName, string? DistinctId, long? Time, string InsertId)
{
    /// <summary>The key of an event as it was sent: a missing field stays missing.</summary>
    /// <returns><see langword="null"/> for a record that is never deduplicated.</returns>
    public static DeduplicationKey? AsSent(ReceivedRecord record) =>
        Of(record, record.EventName, record.DistinctId, record.Time);

    /// <summary>
    /// The key of an event as Mixpanel stores it: a missing name or distinct id reads as empty, and an event without time gets
    /// <paramref name="receivedAtMilliseconds"/>, as Mixpanel stamps it on arrival.
    /// </summary>
    /// <returns><see langword="null"/> for a record that is never deduplicated.</returns>
    public static DeduplicationKey? AsStored(ReceivedRecord record, long receivedAtMilliseconds) =>
        Of(record, record.EventName ?? "", record.DistinctId ?? "", record.Time ?? receivedAtMilliseconds);

    private static DeduplicationKey? Of(ReceivedRecord record, string? eventName, string? distinctId, long? time) =>
        record.IsEvent && record.InsertId is { } insertId ? new DeduplicationKey(eventName, distinctId, time, insertId) : null;
}
