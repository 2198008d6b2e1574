namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// What <c>/import</c> asks of an event beyond <see cref="EventRules"/>: when it happened, and with <c>strict=1</c> who did
/// it and its deduplication key too; and <c>$merge</c>, which only <c>/import</c> takes. Events older than <c>/track</c>'s
/// five days are welcome here (<see cref="EventRules"/> applies that limit to <c>/track</c> alone).
/// </summary>
internal static class ImportRules
{
    // Mixpanel's /import guide, under strict=1 validation: "Each event must contain an event name, time, distinct_id, and
    // $insert_id", in the order failures are reported. Without strict=1 Mixpanel takes an event with no distinct_id (it
    // derives one from the request's address) or no $insert_id (it is not deduplicated), as Mixpanel's node library sends
    // imports; time it always needs, to know where the event belongs.
    private static readonly RequiredProperty[] Required =
    [
        new(EventFact.DistinctId, StrictOnly: true, "properties.distinct_id", "distinct_id is required on /import?strict=1 (use \"\" for an event with no user)"),
        new(EventFact.Time, StrictOnly: false, "properties.time", "time is required on /import"),
        new(EventFact.InsertId, StrictOnly: true, "properties.$insert_id", "$insert_id is required on /import?strict=1"),
    ];

    public static void CheckRequired(in EventFacts facts, bool strict, ref RecordCheck check)
    {
        foreach (var property in Required)
        {
            if ((facts.Present & property.Fact) == 0 && (strict || !property.StrictOnly))
            {
                check.Fail(property.Field, property.Message);
            }
        }
    }

    /// <summary><c>$merge</c> (Original ID Merge): only on <c>/import</c>, and with exactly two valid ids to merge.</summary>
    public static void CheckMerge(in EventFacts facts, bool import, ref RecordCheck check)
    {
        if (!import)
        {
            check.Fail("event", "$merge is accepted only on /import, with the project secret");
        }
        else if (facts.MergeIds != 2 || !facts.MergeIdsValid)
        {
            check.Fail("properties.$distinct_ids", "$merge needs $distinct_ids: exactly two valid distinct ids");
        }
    }

    private readonly record struct RequiredProperty(EventFact Fact, bool StrictOnly, string Field, string Message);
}
