namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// What <c>/import</c> asks of an event beyond <see cref="EventRules"/>: who, when and the deduplication key, which
/// <c>/track</c> fills in itself; and <c>$merge</c>, which only <c>/import</c> takes. Events older than <c>/track</c>'s five
/// days are welcome here (<see cref="EventRules"/> applies that limit to <c>/track</c> alone).
/// </summary>
internal static class ImportRules
{
    // Mixpanel's /import guide: "Each event must contain an event name, time, distinct_id, and $insert_id", in the order
    // failures are reported.
    private static readonly RequiredProperty[] Required =
    [
        new(EventFact.DistinctId, "properties.distinct_id", "distinct_id is required on /import (use \"\" for an event with no user)"),
        new(EventFact.Time, "properties.time", "time is required on /import"),
        new(EventFact.InsertId, "properties.$insert_id", "$insert_id is required on /import"),
    ];

    public static void CheckRequired(in EventFacts facts, ref RecordCheck check)
    {
        foreach (var property in Required)
        {
            if ((facts.Present & property.Fact) == 0)
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

    private readonly record struct RequiredProperty(EventFact Fact, string Field, string Message);
}
