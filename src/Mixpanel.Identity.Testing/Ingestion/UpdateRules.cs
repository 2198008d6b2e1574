using System.Globalization;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// Checks a profile or group update against its kind's table of fields and operations (<see cref="ProfileUpdateRules"/>,
/// <see cref="GroupUpdateRules"/>): every field known and of the right type, the required ones present, exactly one
/// operation, and the operation's values of the type it takes.
/// </summary>
internal static class UpdateRules
{
    /// <summary>
    /// The modifiers Mixpanel's node library adds to profile and group updates alike: <c>$ip</c>, <c>$time</c>,
    /// <c>$ignore_time</c>, <c>$ignore_alias</c> and <c>$latitude</c>/<c>$longitude</c>.
    /// </summary>
    public static readonly UpdateField[] Modifiers =
    [
        new(ReservedNames.ProfileIp, FieldRule.String),
        new(ReservedNames.ProfileTime, FieldRule.Milliseconds),
        new(ReservedNames.IgnoreTime, FieldRule.Boolean),
        new(ReservedNames.IgnoreAlias, FieldRule.Boolean),
        new("$latitude", FieldRule.Number),
        new("$longitude", FieldRule.Number),
    ];

    /// <summary>Checks the update whose StartObject the reader is on; returns with the reader on its EndObject.</summary>
    public static void Check(
        ref Utf8JsonReader reader,
        ReadOnlySpan<byte> buffer,
        in ValidationContext context,
        UpdateKind kind,
        ref RecordCheck check)
    {
        var seen = 0UL;
        var operations = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var nameStart = (int)reader.TokenStartIndex;
            if (kind.FindField(ref reader) is var index and >= 0)
            {
                seen |= 1UL << index;
                reader.Read();
                CheckField(ref reader, kind.Fields[index], context, ref check);
            }
            else if (kind.FindOperation(ref reader) is { } operation)
            {
                operations++;
                CheckOperation(ref reader, buffer, operation, ref check);
            }
            else
            {
                check.Fail(ValueChecks.PropertyName(buffer, nameStart), $"not a field Mixpanel accepts in a {kind.Name} update");
                reader.Read();
                ValueChecks.SkipValue(ref reader);
            }
        }

        for (var i = 0; i < kind.Fields.Length; i++)
        {
            if (kind.Fields[i].Required && (seen & (1UL << i)) == 0)
            {
                check.Fail(kind.Fields[i].Name, kind.Fields[i].Name + " is required");
            }
        }

        if (operations == 0)
        {
            check.Fail("", "an update needs one operation: " + kind.OperationList);
        }
        else if (operations > 1)
        {
            check.Fail("", string.Create(
                CultureInfo.InvariantCulture,
                $"an update carries exactly one operation, this one has {operations}"));
        }
    }

    private static void CheckField(ref Utf8JsonReader reader, UpdateField field, in ValidationContext context, ref RecordCheck check)
    {
        switch (field.Rule)
        {
            case FieldRule.Token:
                check.TokenMatches = ValueChecks.MatchesToken(ref reader, context);
                break;
            case FieldRule.DistinctId:
                ValueChecks.CheckDistinctId(ref reader, field.Name, allowEmpty: false, ref check);
                break;
            case FieldRule.NonEmptyString:
                if (reader.TokenType != JsonTokenType.String || reader.ValueSpan.IsEmpty)
                {
                    check.Fail(field.Name, field.Name + " must be a non-empty string");
                    ValueChecks.SkipValue(ref reader);
                }

                break;
            case FieldRule.NonEmptyStringOrNumber:
                var valid = reader.TokenType == JsonTokenType.Number
                    || (reader.TokenType == JsonTokenType.String && !reader.ValueSpan.IsEmpty);
                if (!valid)
                {
                    check.Fail(field.Name, field.Name + " must be a non-empty string or a number");
                    ValueChecks.SkipValue(ref reader);
                }

                break;
            case FieldRule.String:
                ValueChecks.ExpectToken(ref reader, field.Name, JsonTokenType.String, "a string", ref check);
                break;
            case FieldRule.Milliseconds:
                ValueChecks.ExpectToken(ref reader, field.Name, JsonTokenType.Number, "a number of milliseconds since the Unix epoch", ref check);
                break;
            case FieldRule.Boolean:
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    check.Fail(field.Name, "must be true or false");
                    ValueChecks.SkipValue(ref reader);
                }

                break;
            default:
                ValueChecks.ExpectToken(ref reader, field.Name, JsonTokenType.Number, "a number", ref check);
                break;
        }
    }

    // The reader is on the operation's name.
    private static void CheckOperation(ref Utf8JsonReader reader, ReadOnlySpan<byte> buffer, UpdateOperation operation, ref RecordCheck check)
    {
        reader.Read();
        switch (operation.Values)
        {
            case OperationValues.Ignored:
                ValueChecks.SkipValue(ref reader);
                return;
            case OperationValues.PropertyNames:
                CheckPropertyNames(ref reader, operation.Name, ref check);
                return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            check.Fail(operation.Name, $"{operation.Name} takes a JSON object of properties");
            ValueChecks.SkipValue(ref reader);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var nameStart = (int)reader.TokenStartIndex;
            reader.Read();
            if (operation.Values == OperationValues.Numbers && reader.TokenType != JsonTokenType.Number)
            {
                check.Fail(operation.Name + "." + ValueChecks.PropertyName(buffer, nameStart), $"{operation.Name} takes numeric values");
            }
            else if (operation.Values == OperationValues.Arrays && reader.TokenType != JsonTokenType.StartArray)
            {
                check.Fail(operation.Name + "." + ValueChecks.PropertyName(buffer, nameStart), $"{operation.Name} takes array values");
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                // Nested values inside an operation: the field reads "$set.name".
                var before = check.Field;
                ValueChecks.CheckNested(ref reader, buffer, 1, "", nameStart, ref check);
                if (before is null && check.Field is not null)
                {
                    check.Field = operation.Name + "." + check.Field;
                }
            }
        }
    }

    private static void CheckPropertyNames(ref Utf8JsonReader reader, string operation, ref RecordCheck check)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            check.Fail(operation, operation + " takes an array of property names");
            ValueChecks.SkipValue(ref reader);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                check.Fail(operation, operation + " takes an array of property names");
                ValueChecks.SkipValue(ref reader);
            }
        }
    }
}

/// <summary>What a top-level field of an update must hold.</summary>
internal enum FieldRule
{
    /// <summary>The project token: compared with the server's.</summary>
    Token,

    /// <summary>A distinct id Mixpanel accepts: a non-empty string, not one of the placeholder ids.</summary>
    DistinctId,

    NonEmptyString,
    NonEmptyStringOrNumber,
    String,

    /// <summary>A number of milliseconds since the Unix epoch.</summary>
    Milliseconds,

    Boolean,
    Number,
}

/// <summary>What an operation's values must be.</summary>
internal enum OperationValues
{
    /// <summary>An object of properties with values of any type.</summary>
    Any,

    /// <summary>An object of properties with numeric values (<c>$add</c>).</summary>
    Numbers,

    /// <summary>An object of properties with array values (<c>$union</c>).</summary>
    Arrays,

    /// <summary>An array of property names (<c>$unset</c>).</summary>
    PropertyNames,

    /// <summary>Anything: Mixpanel ignores the value (<c>$delete</c>).</summary>
    Ignored,
}

/// <summary>One top-level field an update may carry.</summary>
internal sealed class UpdateField(string name, FieldRule rule, bool required = false)
{
    public string Name { get; } = name;

    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(name);

    public FieldRule Rule { get; } = rule;

    public bool Required { get; } = required;
}

/// <summary>One operation an update may carry.</summary>
internal sealed class UpdateOperation(string name, OperationValues values)
{
    public string Name { get; } = name;

    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(name);

    public OperationValues Values { get; } = values;
}

/// <summary>A kind of update: the fields it may carry and the operations it takes.</summary>
internal sealed class UpdateKind
{
    public UpdateKind(string name, UpdateField[] fields, UpdateOperation[] operations)
    {
        // A field's presence is one bit of a ulong.
        if (fields.Length > 64)
        {
            throw new ArgumentException("An update kind has at most 64 fields.", nameof(fields));
        }

        Name = name;
        Fields = fields;
        Operations = operations;
        var names = operations.Select(o => o.Name).ToArray();
        OperationList = names.Length == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
    }

    /// <summary>How messages name it: "profile", "group".</summary>
    public string Name { get; }

    public UpdateField[] Fields { get; }

    public UpdateOperation[] Operations { get; }

    /// <summary>The operations as a message lists them: "$set, $set_once, $unset or $delete".</summary>
    public string OperationList { get; }

    public int FindField(ref Utf8JsonReader reader)
    {
        for (var i = 0; i < Fields.Length; i++)
        {
            if (reader.ValueTextEquals(Fields[i].Utf8Name))
            {
                return i;
            }
        }

        return -1;
    }

    public UpdateOperation? FindOperation(ref Utf8JsonReader reader)
    {
        foreach (var operation in Operations)
        {
            if (reader.ValueTextEquals(operation.Utf8Name))
            {
                return operation;
            }
        }

        return null;
    }
}
