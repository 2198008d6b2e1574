using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>What the whole payload of a request turned out to be.</summary>
internal enum BatchVerdict
{
    /// <summary>Well-formed: each record passed or failed on its own (see <see cref="RecordSlots"/>).</summary>
    Parsed,

    /// <summary>Not JSON, or not a batch of records: nothing is ingested.</summary>
    Malformed,

    /// <summary>More records than one request may carry: nothing is ingested.</summary>
    TooManyRecords,
}

/// <summary>How a payload lays its records out.</summary>
internal enum PayloadShape
{
    /// <summary>A JSON array of records (or a single record object).</summary>
    Json,

    /// <summary>One JSON record per line.</summary>
    NdJson,
}

/// <summary>The request-wide facts validation needs.</summary>
internal readonly record struct ValidationContext(MixpanelEndpoint Endpoint, string? ProjectToken, long NowMilliseconds);

/// <summary>
/// Validates a batch in one forward pass of <see cref="Utf8JsonReader"/> over the payload, allocating nothing for a valid
/// record: the benchmark pushes a million events through here. Failures build their messages only when they happen, and
/// only the first failure of a record is kept (the rest of it is still read, so its token is always checked).
/// </summary>
internal static class BatchValidator
{
    // Deeply nested records are a validation failure of their own record, not malformed JSON; the reader must get there.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 1024 };

    // MIXPANEL.md "invalid distinct ids", compared case-insensitively.
    private static readonly byte[][] InvalidIds = RecordReading.InvalidIds.Select(Encoding.UTF8.GetBytes).ToArray();

    private static readonly SearchValues<byte> InsertIdCharacters =
        SearchValues.Create("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // The longest invalid id; a JSON escape spells one byte in at most six.
    private static readonly int LongestInvalidId = InvalidIds.Max(id => id.Length);
    private static readonly int MaxEscapedLength = 6 * LongestInvalidId;

    public static BatchVerdict Validate(
        ReadOnlySpan<byte> payload,
        PayloadShape shape,
        in ValidationContext context,
        RecordSlots slots,
        out string? error)
    {
        error = null;
        try
        {
            return shape == PayloadShape.NdJson
                ? ValidateLines(payload, context, slots, out error)
                : ValidateDocument(payload, context, slots, out error);
        }
        catch (JsonException ex)
        {
            error = "malformed JSON: " + ex.Message;
            return BatchVerdict.Malformed;
        }
    }

    private static BatchVerdict ValidateDocument(ReadOnlySpan<byte> payload, in ValidationContext context, RecordSlots slots, out string? error)
    {
        error = null;
        var reader = new Utf8JsonReader(payload, ReaderOptions);
        if (!reader.Read())
        {
            error = "the body is empty: expected a JSON array of records";
            return BatchVerdict.Malformed;
        }

        if (reader.TokenType == JsonTokenType.StartObject)
        {
            // The legacy form posts a single record rather than an array of one.
            ValidateRecord(ref reader, payload, 0, context, slots);
        }
        else if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (slots.Count == IngestionLimits.MaxRecordsPerRequest)
                {
                    error = TooManyRecords();
                    return BatchVerdict.TooManyRecords;
                }

                ValidateRecord(ref reader, payload, 0, context, slots);
            }
        }
        else
        {
            error = "expected a JSON array of records";
            return BatchVerdict.Malformed;
        }

        // Anything after the array other than whitespace makes the reader throw: malformed.
        while (reader.Read())
        {
        }

        return BatchVerdict.Parsed;
    }

    private static BatchVerdict ValidateLines(ReadOnlySpan<byte> payload, in ValidationContext context, RecordSlots slots, out string? error)
    {
        error = null;
        var offset = 0;
        while (offset < payload.Length)
        {
            var rest = payload[offset..];
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            var lineStart = offset;
            offset += end < 0 ? rest.Length : end + 1;
            if (line.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            if (slots.Count == IngestionLimits.MaxRecordsPerRequest)
            {
                error = TooManyRecords();
                return BatchVerdict.TooManyRecords;
            }

            var reader = new Utf8JsonReader(line, ReaderOptions);
            reader.Read();
            ValidateRecord(ref reader, line, lineStart, context, slots);
            while (reader.Read())
            {
            }
        }

        return BatchVerdict.Parsed;
    }

    private static string TooManyRecords() =>
        string.Create(CultureInfo.InvariantCulture, $"too many records in one request: at most {IngestionLimits.MaxRecordsPerRequest} are accepted");

    private static void ValidateRecord(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        int bufferOffset,
        in ValidationContext context,
        RecordSlots slots)
    {
        var start = (int)reader.TokenStartIndex;
        var check = new RecordCheck();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            check.Fail("", "a record must be a JSON object");
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                reader.Skip();
            }
        }
        else
        {
            switch (context.Endpoint)
            {
                case MixpanelEndpoint.Track:
                case MixpanelEndpoint.Import:
                    CheckEvent(ref reader, buffer, context, ref check);
                    break;
                case MixpanelEndpoint.Engage:
                    CheckProfileUpdate(ref reader, buffer, context, ref check);
                    break;
                default:
                    CheckGroupUpdate(ref reader, buffer, context, ref check);
                    break;
            }

            // /import carries no project token to check: its context has none.
            if (context.ProjectToken is not null && !check.TokenMatches)
            {
                slots.TokenMismatch = true;
            }
        }

        var length = (int)reader.BytesConsumed - start;
        if (length >= IngestionLimits.MaxRecordBytes)
        {
            // Size is the first thing Mixpanel looks at: it outranks whatever else is wrong inside.
            check.Field = null;
            check.Fail("", string.Create(
                CultureInfo.InvariantCulture,
                $"the record is {length} bytes of JSON: it must be smaller than {IngestionLimits.MaxRecordBytes} bytes"));
        }

        slots.Add(new RecordSlot(bufferOffset + start, length, check.Field, check.Message));
    }

    // ---- events: /track and /import ----

    private static void CheckEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, in ValidationContext context, ref RecordCheck check)
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
                    isMerge = reader.ValueTextEquals("$merge"u8);
                }
                else
                {
                    check.Fail("event", "the event name must be a non-empty string");
                    SkipValue(ref reader);
                }
            }
            else if (reader.ValueTextEquals("properties"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    hasProperties = true;
                    CheckEventProperties(ref reader, buffer, context, ref check, ref facts);
                }
                else
                {
                    check.Fail("properties", "properties must be a JSON object");
                    SkipValue(ref reader);
                }
            }
            else
            {
                // Mixpanel reads only event and properties; anything else at the top is ignored.
                reader.Read();
                SkipValue(ref reader);
            }
        }

        var import = context.Endpoint == MixpanelEndpoint.Import;
        if (!hasEvent)
        {
            check.Fail("event", "the event name is required");
        }

        if (!hasProperties)
        {
            check.Fail("properties", "properties are required");
            return;
        }

        if (isMerge)
        {
            if (!import)
            {
                check.Fail("event", "$merge is accepted only on /import, with the project secret");
            }
            else if (facts.MergeIds != 2 || !facts.MergeIdsValid)
            {
                check.Fail("properties.$distinct_ids", "$merge needs $distinct_ids: exactly two valid distinct ids");
            }

            return;
        }

        if (import)
        {
            // /import requires what /track fills in itself: who, when and the deduplication key.
            if (!facts.HasDistinctId)
            {
                check.Fail("properties.distinct_id", "distinct_id is required on /import (use \"\" for an event with no user)");
            }

            if (!facts.HasTime)
            {
                check.Fail("properties.time", "time is required on /import");
            }

            if (!facts.HasInsertId)
            {
                check.Fail("properties.$insert_id", "$insert_id is required on /import");
            }
        }
    }

    private static void CheckEventProperties(
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
            if (reader.ValueTextEquals("distinct_id"u8))
            {
                reader.Read();
                facts.HasDistinctId = true;
                CheckDistinctId(ref reader, "properties.distinct_id", allowEmpty: true, ref check);
            }
            else if (reader.ValueTextEquals("time"u8))
            {
                reader.Read();
                facts.HasTime = true;
                CheckTime(ref reader, context, ref check);
            }
            else if (reader.ValueTextEquals("$insert_id"u8))
            {
                reader.Read();
                facts.HasInsertId = true;
                CheckInsertId(ref reader, ref check);
            }
            else if (reader.ValueTextEquals("token"u8))
            {
                reader.Read();
                check.TokenMatches = MatchesToken(ref reader, context);
            }
            else if (reader.ValueTextEquals("$distinct_ids"u8))
            {
                reader.Read();
                CheckMergeIds(ref reader, buffer, nameStart, ref check, ref facts);
            }
            else
            {
                reader.Read();
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    CheckNested(ref reader, buffer, 1, "properties.", nameStart, ref check);
                }
            }
        }

        if (count > IngestionLimits.MaxEventProperties)
        {
            check.Fail("properties", string.Create(
                CultureInfo.InvariantCulture,
                $"the event has {count} properties: at most {IngestionLimits.MaxEventProperties} are accepted"));
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
                CheckNested(ref reader, buffer, 1, "properties.", nameStart, ref check);
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
                CheckDistinctId(ref reader, "properties.$distinct_ids", allowEmpty: false, ref mergeCheck);
            }
            else
            {
                facts.MergeIdsValid = false;
                SkipValue(ref reader);
            }
        }

        facts.MergeIdsValid &= mergeCheck.Field is null;
    }

    private static void CheckDistinctId(ref Utf8JsonReader reader, string field, bool allowEmpty, ref RecordCheck check)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            check.Fail(field, "a distinct id must be a string");
            SkipValue(ref reader);
            return;
        }

        if (reader.ValueSpan.IsEmpty)
        {
            if (!allowEmpty)
            {
                check.Fail(field, "a distinct id cannot be empty");
            }

            return;
        }

        if (IsInvalidId(ref reader))
        {
            check.Fail(field, $"'{reader.GetString()}' is one of the ids Mixpanel refuses as a distinct id");
        }
    }

    private static bool IsInvalidId(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            return raw.Length <= LongestInvalidId && MatchesInvalidId(raw);
        }

        if (raw.Length > MaxEscapedLength)
        {
            return false;
        }

        Span<byte> unescaped = stackalloc byte[MaxEscapedLength];
        var written = reader.CopyString(unescaped);
        return MatchesInvalidId(unescaped[..written]);
    }

    private static bool MatchesInvalidId(ReadOnlySpan<byte> value)
    {
        foreach (var invalid in InvalidIds)
        {
            if (value.Length == invalid.Length && Ascii.EqualsIgnoreCase(value, invalid))
            {
                return true;
            }
        }

        return false;
    }

    private static void CheckTime(ref Utf8JsonReader reader, in ValidationContext context, ref RecordCheck check)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            check.Fail("properties.time", "time must be a number of seconds or milliseconds since the Unix epoch");
            SkipValue(ref reader);
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

        var milliseconds = value < IngestionLimits.SecondsThreshold ? value * 1000 : value;
        if (milliseconds < IngestionLimits.MinTimeMilliseconds)
        {
            check.Fail("properties.time", "time is before 1971-01-01: Mixpanel refuses it");
        }
        else if (milliseconds > context.NowMilliseconds + IngestionLimits.MaxFutureMilliseconds)
        {
            check.Fail("properties.time", "time is more than 1 hour in the future");
        }
        else if (context.Endpoint == MixpanelEndpoint.Track
                 && milliseconds < context.NowMilliseconds - IngestionLimits.MaxTrackAgeMilliseconds)
        {
            check.Fail("properties.time", "time is more than 5 days ago: /track accepts only the last 5 days, send older events to /import");
        }
    }

    private static void CheckInsertId(ref Utf8JsonReader reader, ref RecordCheck check)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            check.Fail("properties.$insert_id", "$insert_id must be a string");
            SkipValue(ref reader);
            return;
        }

        // An escaped value too long to be a valid id even unescaped is judged as it stands: it is too long either way.
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped || raw.Length > 6 * IngestionLimits.MaxInsertIdLength)
        {
            CheckInsertIdText(raw, ref check);
            return;
        }

        Span<byte> unescaped = stackalloc byte[6 * IngestionLimits.MaxInsertIdLength];
        var written = reader.CopyString(unescaped);
        CheckInsertIdText(unescaped[..written], ref check);
    }

    private static void CheckInsertIdText(ReadOnlySpan<byte> value, ref RecordCheck check)
    {
        if (value.IsEmpty)
        {
            check.Fail("properties.$insert_id", "$insert_id cannot be empty");
        }
        else if (value.Length > IngestionLimits.MaxInsertIdLength)
        {
            check.Fail("properties.$insert_id", string.Create(
                CultureInfo.InvariantCulture,
                $"$insert_id is {value.Length} bytes: at most {IngestionLimits.MaxInsertIdLength} are accepted"));
        }
        else if (value.IndexOfAnyExcept(InsertIdCharacters) >= 0)
        {
            check.Fail("properties.$insert_id", "$insert_id may contain only letters, digits and '-'");
        }
    }

    // ---- profile updates: /engage ----

    private static void CheckProfileUpdate(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, in ValidationContext context, ref RecordCheck check)
    {
        var hasDistinctId = false;
        var operations = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var nameStart = (int)reader.TokenStartIndex;
            if (reader.ValueTextEquals("$token"u8))
            {
                reader.Read();
                check.TokenMatches = MatchesToken(ref reader, context);
            }
            else if (reader.ValueTextEquals("$distinct_id"u8))
            {
                reader.Read();
                hasDistinctId = true;
                CheckDistinctId(ref reader, "$distinct_id", allowEmpty: false, ref check);
            }
            else if (TryCheckOperation(ref reader, buffer, nameStart, userProfile: true, ref check))
            {
                operations++;
            }
            else if (reader.ValueTextEquals("$device_id"u8)
                     || reader.ValueTextEquals("$user_id"u8)
                     || reader.ValueTextEquals("$ip"u8))
            {
                reader.Read();
                ExpectToken(ref reader, buffer, nameStart, JsonTokenType.String, "a string", ref check);
            }
            else if (reader.ValueTextEquals("$time"u8))
            {
                reader.Read();
                ExpectToken(ref reader, buffer, nameStart, JsonTokenType.Number, "a number of milliseconds since the Unix epoch", ref check);
            }
            else if (reader.ValueTextEquals("$ignore_time"u8) || reader.ValueTextEquals("$ignore_alias"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    check.Fail(PropertyName(buffer, nameStart), "must be true or false");
                    SkipValue(ref reader);
                }
            }
            else
            {
                FailUnknownField(ref reader, buffer, nameStart, "profile", ref check);
            }
        }

        if (!hasDistinctId)
        {
            check.Fail("$distinct_id", "$distinct_id is required");
        }

        CheckOperationCount(operations, "$set, $set_once, $add, $append, $union, $remove, $unset or $delete", ref check);
    }

    // ---- group updates: /groups ----

    private static void CheckGroupUpdate(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, in ValidationContext context, ref RecordCheck check)
    {
        var hasGroupKey = false;
        var hasGroupId = false;
        var operations = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var nameStart = (int)reader.TokenStartIndex;
            if (reader.ValueTextEquals("$token"u8))
            {
                reader.Read();
                check.TokenMatches = MatchesToken(ref reader, context);
            }
            else if (reader.ValueTextEquals("$group_key"u8))
            {
                reader.Read();
                hasGroupKey = true;
                if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.IsEmpty)
                {
                    check.Fail("$group_key", "$group_key must be a non-empty string");
                    SkipValue(ref reader);
                }
            }
            else if (reader.ValueTextEquals("$group_id"u8))
            {
                reader.Read();
                hasGroupId = true;
                var valid = reader.TokenType == JsonTokenType.Number
                    || (reader.TokenType == JsonTokenType.String && !reader.ValueSpan.IsEmpty);
                if (!valid)
                {
                    check.Fail("$group_id", "$group_id must be a non-empty string or a number");
                    SkipValue(ref reader);
                }
            }
            else if (TryCheckOperation(ref reader, buffer, nameStart, userProfile: false, ref check))
            {
                operations++;
            }
            else
            {
                FailUnknownField(ref reader, buffer, nameStart, "group", ref check);
            }
        }

        if (!hasGroupKey)
        {
            check.Fail("$group_key", "$group_key is required");
        }

        if (!hasGroupId)
        {
            check.Fail("$group_id", "$group_id is required");
        }

        CheckOperationCount(operations, "$set, $set_once, $union, $remove, $unset or $delete", ref check);
    }

    // ---- shared by profile and group updates ----

    private enum OperationValues
    {
        Any,
        Numbers,
        Arrays,
    }

    private static void CheckOperation(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        int operationNameStart,
        OperationValues values,
        ref RecordCheck check)
    {
        reader.Read();
        var operation = (string?)null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            operation = PropertyName(buffer, operationNameStart);
            check.Fail(operation, $"{operation} takes a JSON object of properties");
            SkipValue(ref reader);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var nameStart = (int)reader.TokenStartIndex;
            reader.Read();
            if (values == OperationValues.Numbers && reader.TokenType != JsonTokenType.Number)
            {
                operation ??= PropertyName(buffer, operationNameStart);
                check.Fail(operation + "." + PropertyName(buffer, nameStart), $"{operation} takes numeric values");
            }
            else if (values == OperationValues.Arrays && reader.TokenType != JsonTokenType.StartArray)
            {
                operation ??= PropertyName(buffer, operationNameStart);
                check.Fail(operation + "." + PropertyName(buffer, nameStart), $"{operation} takes array values");
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                CheckNestedInOperation(ref reader, buffer, operationNameStart, nameStart, ref check);
            }
        }
    }

    /// <summary>
    /// Checks the current property as a profile operation, if it names one: <c>$set</c>, <c>$set_once</c>,
    /// <c>$union</c>, <c>$remove</c>, <c>$unset</c>, <c>$delete</c>, and for user profiles <c>$add</c> and <c>$append</c>.
    /// </summary>
    private static bool TryCheckOperation(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, int nameStart, bool userProfile, ref RecordCheck check)
    {
        OperationValues? values =
            reader.ValueTextEquals("$set"u8) || reader.ValueTextEquals("$set_once"u8) || reader.ValueTextEquals("$remove"u8)
            || (userProfile && reader.ValueTextEquals("$append"u8))
                ? OperationValues.Any
                : userProfile && reader.ValueTextEquals("$add"u8)
                    ? OperationValues.Numbers
                    : reader.ValueTextEquals("$union"u8) ? OperationValues.Arrays : null;
        if (values is { } expected)
        {
            CheckOperation(ref reader, buffer, nameStart, expected, ref check);
            return true;
        }

        if (reader.ValueTextEquals("$unset"u8))
        {
            CheckUnset(ref reader, ref check);
            return true;
        }

        if (reader.ValueTextEquals("$delete"u8))
        {
            reader.Read();
            SkipValue(ref reader);
            return true;
        }

        return false;
    }

    private static void CheckUnset(ref Utf8JsonReader reader, ref RecordCheck check)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            check.Fail("$unset", "$unset takes an array of property names");
            SkipValue(ref reader);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                check.Fail("$unset", "$unset takes an array of property names");
                SkipValue(ref reader);
            }
        }
    }

    private static void CheckOperationCount(int operations, string allowed, ref RecordCheck check)
    {
        if (operations == 0)
        {
            check.Fail("", "an update needs one operation: " + allowed);
        }
        else if (operations > 1)
        {
            check.Fail("", string.Create(
                CultureInfo.InvariantCulture,
                $"an update carries exactly one operation, this one has {operations}"));
        }
    }

    private static void FailUnknownField(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, int nameStart, string update, ref RecordCheck check)
    {
        check.Fail(PropertyName(buffer, nameStart), $"not a field Mixpanel accepts in a {update} update");
        reader.Read();
        SkipValue(ref reader);
    }

    private static bool MatchesToken(ref Utf8JsonReader reader, in ValidationContext context)
    {
        var matches = context.ProjectToken is { } token
            && reader.TokenType == JsonTokenType.String
            && reader.ValueTextEquals(token);
        SkipValue(ref reader);
        return matches;
    }

    private static void ExpectToken(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        int nameStart,
        JsonTokenType expected,
        string description,
        ref RecordCheck check)
    {
        if (reader.TokenType != expected)
        {
            check.Fail(PropertyName(buffer, nameStart), "must be " + description);
            SkipValue(ref reader);
        }
    }

    // ---- nesting ----

    // The reader is on the StartObject/StartArray of a value nested `level` deep below a top-level property; returns with the
    // reader on its matching end token. Recursion stops at the depth limit (the excess is skipped), so it is shallow.
    private static void CheckNested(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        int level,
        string prefix,
        int nameStart,
        ref RecordCheck check)
    {
        if (level > IngestionLimits.MaxNestingDepth)
        {
            check.Fail(prefix + PropertyName(buffer, nameStart), string.Create(
                CultureInfo.InvariantCulture,
                $"nested more than {IngestionLimits.MaxNestingDepth} levels deep"));
            reader.Skip();
            return;
        }

        var isObject = reader.TokenType == JsonTokenType.StartObject;
        var children = 0;
        while (reader.Read() && reader.TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray))
        {
            children++;
            if (isObject)
            {
                reader.Read();
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                CheckNested(ref reader, buffer, level + 1, prefix, nameStart, ref check);
            }
        }

        if (children > IngestionLimits.MaxNestedChildren)
        {
            check.Fail(prefix + PropertyName(buffer, nameStart), string.Create(
                CultureInfo.InvariantCulture,
                $"a nested {(isObject ? "object has" : "array has")} {children} {(isObject ? "keys" : "elements")}: at most {IngestionLimits.MaxNestedChildren} are accepted"));
        }
    }

    // Nested values inside a profile operation: the field reads "$set.name".
    private static void CheckNestedInOperation(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        int operationNameStart,
        int nameStart,
        ref RecordCheck check)
    {
        var before = check.Field;
        CheckNested(ref reader, buffer, 1, "", nameStart, ref check);
        if (before is null && check.Field is not null)
        {
            check.Field = PropertyName(buffer, operationNameStart) + "." + check.Field;
        }
    }

    private static void SkipValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }
    }

    // Failure path only: reads back (and unescapes) the property name whose token starts at `nameStart`.
    private static string PropertyName(ReadOnlySpan<byte> buffer, int nameStart)
    {
        var reader = new Utf8JsonReader(buffer[nameStart..], isFinalBlock: false, state: default);
        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
    }

    private struct EventFacts
    {
        public bool HasDistinctId;
        public bool HasTime;
        public bool HasInsertId;
        public int MergeIds;
        public bool MergeIdsValid;
    }

    private struct RecordCheck
    {
        public string? Field;
        public string? Message;

        // Whether the record carried the project token; set by each record kind's check.
        public bool TokenMatches;

        public void Fail(string field, string message)
        {
            if (Field is null)
            {
                Field = field;
                Message = message;
            }
        }
    }
}
