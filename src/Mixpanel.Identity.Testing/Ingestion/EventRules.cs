using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The rules for events, on <c>/track</c> and <c>/import</c>: an event name, a <c>properties</c> object within the limits,
/// valid ids and times. What only <c>/import</c> asks for is in <see cref="ImportRules"/>.
/// </summary>
internal static class EventRules
{
    private static readonly SearchValues<byte> InsertIdCharacters =
        SearchValues.Create("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>Checks the event whose StartObject the reader is on; returns with the reader on its EndObject.</summary>
    public static void Check(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, in ValidationContext context, ref RecordCheck check)
    {
        var hasEvent = false;
        var isMerge = false;
        var hasProperties = false;
        var facts = new EventFacts();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.ValueTextEquals("event"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (reader.ValueSpan.Length > 0))
                {
                    hasEvent = true;
                    isMerge = reader.ValueTextEquals(ReservedNames.MergeEvent);
                }
                else
                {
                    check.Fail("event", "the event name must be a non-empty string");
                    ValueChecks.SkipValue(ref reader);
                }
            }
            else if (reader.ValueTextEquals("properties"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    hasProperties = true;
                    CheckProperties(ref reader, buffer, context, ref check, ref facts);
                }
                else
                {
                    check.Fail("properties", "properties must be a JSON object");
                    ValueChecks.SkipValue(ref reader);
                }
            }
            else
            {
                // Mixpanel reads only event and properties; anything else at the top is ignored.
                reader.Read();
                ValueChecks.SkipValue(ref reader);
            }
        }

        if (!hasEvent)
        {
            check.Fail("event", "the event name is required");
        }

        if (!hasProperties)
        {
            check.Fail("properties", "properties are required");
            return;
        }

        var import = context.Endpoint == MixpanelEndpoint.Import;
        if (isMerge)
        {
            ImportRules.CheckMerge(facts, import, ref check);
        }
        else if (import)
        {
            ImportRules.CheckRequired(facts, context.Strict, ref check);
        }
    }

    private static void CheckProperties(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        in ValidationContext context,
        ref RecordCheck check,
        ref EventFacts facts)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            count++;
            var nameStart = (int)reader.TokenStartIndex;
            if (reader.ValueTextEquals(ReservedNames.DistinctId))
            {
                reader.Read();
                facts.Present |= EventFact.DistinctId;
                ValueChecks.CheckDistinctId(ref reader, "properties.distinct_id", allowEmpty: true, ref check);
            }
            else if (reader.ValueTextEquals(ReservedNames.Time))
            {
                reader.Read();
                facts.Present |= EventFact.Time;
                CheckTime(ref reader, context, ref check);
            }
            else if (reader.ValueTextEquals(ReservedNames.InsertId))
            {
                reader.Read();
                facts.Present |= EventFact.InsertId;
                CheckInsertId(ref reader, ref check);
            }
            else if (reader.ValueTextEquals(ReservedNames.Token))
            {
                reader.Read();
                check.TokenMatches = ValueChecks.MatchesToken(ref reader, context);
            }
            else if (reader.ValueTextEquals(ReservedNames.DistinctIds))
            {
                reader.Read();
                CheckMergeIds(ref reader, buffer, nameStart, ref check, ref facts);
            }
            else
            {
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    ValueChecks.CheckNested(ref reader, buffer, 1, "properties.", nameStart, ref check);
                }
            }
        }

        if (count > MixpanelLimits.MaxPropertiesPerRecord)
        {
            check.Fail("properties", string.Create(
                CultureInfo.InvariantCulture,
                $"the event has {count} properties: at most {MixpanelLimits.MaxPropertiesPerRecord} are accepted"));
        }
    }

    private static void CheckMergeIds(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        int nameStart,
        ref RecordCheck check,
        ref EventFacts facts)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            facts.MergeIds = -1;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                ValueChecks.CheckNested(ref reader, buffer, 1, "properties.", nameStart, ref check);
            }

            return;
        }

        facts.MergeIdsValid = true;
        var mergeCheck = new RecordCheck();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            facts.MergeIds++;
            if (reader.TokenType == JsonTokenType.String)
            {
                ValueChecks.CheckDistinctId(ref reader, "properties.$distinct_ids", allowEmpty: false, ref mergeCheck);
            }
            else
            {
                facts.MergeIdsValid = false;
                ValueChecks.SkipValue(ref reader);
            }
        }

        facts.MergeIdsValid &= mergeCheck.Field is null;
    }

    private static void CheckTime(ref Utf8JsonReader reader, in ValidationContext context, ref RecordCheck check)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            check.Fail("properties.time", "time must be a number of seconds or milliseconds since the Unix epoch");
            ValueChecks.SkipValue(ref reader);
            return;
        }

        double value;
        if (reader.TryGetInt64(out var whole))
        {
            value = whole;
        }
        else if (!reader.TryGetDouble(out value))
        {
            check.Fail("properties.time", "time is out of range");
            return;
        }

        var milliseconds = value < MixpanelLimits.SecondsThreshold ? value * 1000 : value;
        if (milliseconds < MixpanelLimits.MinEventTimeMilliseconds)
        {
            check.Fail("properties.time", "time is before 1971-01-01: Mixpanel refuses it");
        }
        else if (milliseconds > context.NowMilliseconds + (long)MixpanelLimits.MaxEventTimeAhead.TotalMilliseconds)
        {
            check.Fail("properties.time", "time is more than 1 hour in the future");
        }
        else if (context.Endpoint == MixpanelEndpoint.Track
                 && milliseconds < context.NowMilliseconds - (long)MixpanelLimits.MaxTrackEventAge.TotalMilliseconds)
        {
            check.Fail("properties.time", "time is more than 5 days ago: /track accepts only the last 5 days, send older events to /import");
        }
    }

    private static void CheckInsertId(ref Utf8JsonReader reader, ref RecordCheck check)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            check.Fail("properties.$insert_id", "$insert_id must be a string");
            ValueChecks.SkipValue(ref reader);
            return;
        }

        // An escaped value too long to be a valid id even unescaped is judged as it stands: it is too long either way.
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped || raw.Length > 6 * MixpanelLimits.MaxInsertIdLength)
        {
            CheckInsertIdText(raw, ref check);
            return;
        }

        Span<byte> unescaped = stackalloc byte[6 * MixpanelLimits.MaxInsertIdLength];
        var written = reader.CopyString(unescaped);
        CheckInsertIdText(unescaped[..written], ref check);
    }

    private static void CheckInsertIdText(ReadOnlySpan<byte> value, ref RecordCheck check)
    {
        if (value.IsEmpty)
        {
            check.Fail("properties.$insert_id", "$insert_id cannot be empty");
        }
        else if (value.Length > MixpanelLimits.MaxInsertIdLength)
        {
            check.Fail("properties.$insert_id", string.Create(
                CultureInfo.InvariantCulture,
                $"$insert_id is {value.Length} bytes: at most {MixpanelLimits.MaxInsertIdLength} are accepted"));
        }
        else if (value.IndexOfAnyExcept(InsertIdCharacters) >= 0)
        {
            check.Fail("properties.$insert_id", "$insert_id may contain only letters, digits and '-'");
        }
    }
}

/// <summary>The event properties that some endpoints require.</summary>
[Flags]
internal enum EventFact
{
    None = 0,
    DistinctId = 1,
    Time = 2,
    InsertId = 4,
}

/// <summary>What reading an event's properties found, for the rules that look at the event as a whole.</summary>
internal struct EventFacts
{
    public EventFact Present;

    // How many ids $distinct_ids holds; -1 when it is not an array.
    public int MergeIds;
    public bool MergeIdsValid;
}
