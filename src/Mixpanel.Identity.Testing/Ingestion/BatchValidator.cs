using System.Globalization;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

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

/// <summary>The request-wide facts validation needs; <paramref name="Strict"/> is the request's <c>strict=1</c>.</summary>
internal readonly record struct ValidationContext(MixpanelEndpoint Endpoint, string? ProjectToken, long NowMilliseconds, bool Strict = false);

/// <summary>
/// Validates a batch in one forward pass of <see cref="Utf8JsonReader"/> over the payload, allocating nothing for a valid
/// record: the benchmark pushes a million events through here. Failures build their messages only when they happen, and
/// only the first failure of a record is kept (the rest of it is still read, so its token is always checked). This file
/// splits the payload into records; each kind of record has its own rules: <see cref="EventRules"/> (with
/// <see cref="ImportRules"/> for <c>/import</c>), <see cref="ProfileUpdateRules"/> and <see cref="GroupUpdateRules"/>.
/// </summary>
internal static class BatchValidator
{
    // Deeply nested records are a validation failure of their own record, not malformed JSON; the reader must get there.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 1024 };

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
                if (slots.Count == MixpanelLimits.MaxRecordsPerRequest)
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

            if (slots.Count == MixpanelLimits.MaxRecordsPerRequest)
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
        string.Create(CultureInfo.InvariantCulture, $"too many records in one request: at most {MixpanelLimits.MaxRecordsPerRequest} are accepted");

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
                    EventRules.Check(ref reader, buffer, context, ref check);
                    break;
                case MixpanelEndpoint.Engage:
                    UpdateRules.Check(ref reader, buffer, context, ProfileUpdateRules.Kind, ref check);
                    break;
                default:
                    UpdateRules.Check(ref reader, buffer, context, GroupUpdateRules.Kind, ref check);
                    break;
            }

            // /import carries no project token to check: its context has none.
            if (context.ProjectToken is not null && !check.TokenMatches)
            {
                slots.TokenMismatch = true;
            }
        }

        var length = (int)reader.BytesConsumed - start;
        if (length >= MixpanelLimits.MaxRecordBytes)
        {
            // Size is the first thing Mixpanel looks at: it outranks whatever else is wrong inside.
            check.Field = null;
            check.Fail("", string.Create(
                CultureInfo.InvariantCulture,
                $"the record is {length} bytes of JSON: it must be smaller than {MixpanelLimits.MaxRecordBytes} bytes"));
        }

        slots.Add(new RecordSlot(bufferOffset + start, length, check.Field, check.Message));
    }
}
