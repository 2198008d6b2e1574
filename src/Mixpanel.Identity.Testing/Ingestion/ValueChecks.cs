using System.Globalization;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// Checks every kind of record shares, each made on the <see cref="Utf8JsonReader"/> of the record being read: distinct
/// ids, the project token, value types, and the nesting limits.
/// </summary>
internal static class ValueChecks
{
    // MIXPANEL.md "invalid distinct ids", compared case-insensitively.
    private static readonly byte[][] InvalidIds = DistinctIds.Placeholders.Select(Encoding.UTF8.GetBytes).ToArray();

    // The longest invalid id; a JSON escape spells one byte in at most six.
    private static readonly int LongestInvalidId = InvalidIds.Max(id => id.Length);
    private static readonly int MaxEscapedLength = 6 * LongestInvalidId;

    public static void CheckDistinctId(ref Utf8JsonReader reader, string field, bool allowEmpty, ref RecordCheck check)
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

    public static bool MatchesToken(ref Utf8JsonReader reader, in ValidationContext context)
    {
        var matches = context.ProjectToken is { } token
            && reader.TokenType == JsonTokenType.String
            && reader.ValueTextEquals(token);
        SkipValue(ref reader);
        return matches;
    }

    public static void ExpectToken(
        ref Utf8JsonReader reader,
        string field,
        JsonTokenType expected,
        string description,
        ref RecordCheck check)
    {
        if (reader.TokenType != expected)
        {
            check.Fail(field, "must be " + description);
            SkipValue(ref reader);
        }
    }

    // The reader is on the StartObject/StartArray of a value nested `level` deep below a top-level property; returns with the
    // reader on its matching end token. Recursion stops at the depth limit (the excess is skipped), so it is shallow.
    public static void CheckNested(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        int level,
        string prefix,
        int nameStart,
        ref RecordCheck check)
    {
        if (level > MixpanelLimits.MaxNestingDepth)
        {
            check.Fail(prefix + PropertyName(buffer, nameStart), string.Create(
                CultureInfo.InvariantCulture,
                $"nested more than {MixpanelLimits.MaxNestingDepth} levels deep"));
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

        if (children > MixpanelLimits.MaxCollectionCount)
        {
            check.Fail(prefix + PropertyName(buffer, nameStart), string.Create(
                CultureInfo.InvariantCulture,
                $"a nested {(isObject ? "object has" : "array has")} {children} {(isObject ? "keys" : "elements")}: at most {MixpanelLimits.MaxCollectionCount} are accepted"));
        }
    }

    public static void SkipValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }
    }

    // Failure path only: reads back (and unescapes) the property name whose token starts at `nameStart`.
    public static string PropertyName(ReadOnlySpan<byte> buffer, int nameStart)
    {
        var reader = new Utf8JsonReader(buffer[nameStart..], isFinalBlock: false, state: default);
        return reader.Read() && reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
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
}
