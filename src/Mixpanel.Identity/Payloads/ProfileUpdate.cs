using System.Runtime.CompilerServices;
using System.Text.Json;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Compatibility;

namespace Mixpanel.Identity.Payloads;

/// <summary>The operations of Mixpanel's profile (<c>/engage</c>, <c>/groups</c>) API; one per update record.</summary>
internal enum ProfileOperation
{
    Set,
    SetOnce,
    Add,
    Append,
    Union,
    Remove,
    Unset,
    Delete,
}

/// <summary>
/// One profile operation and its validated payload: a <see cref="PropertyMap"/> for every operation but
/// <see cref="ProfileOperation.Unset"/> (a <see cref="PropertyList"/> of names) and <see cref="ProfileOperation.Delete"/>
/// (no payload).
/// </summary>
internal sealed class ProfileUpdate
{
    public ProfileUpdate(ProfileOperation operation, object? payload)
    {
        Operation = operation;
        Payload = payload;
    }

    private int _jsonBytes = -1;

    public ProfileOperation Operation { get; }

    public object? Payload { get; }

    /// <summary>Bytes of the payload as JSON, measured once.</summary>
    public int JsonBytes
    {
        get
        {
            if (_jsonBytes < 0)
            {
                var buffer = new ByteBuffer(256);
                using (var writer = new Utf8JsonWriter(buffer, JsonValues.WriterOptions))
                {
                    JsonValues.Write(writer, Payload);
                }

                _jsonBytes = buffer.Length;
            }

            return _jsonBytes;
        }
    }

    // The factories below check the app's arguments for user and group profiles alike; their parameter names are the
    // public methods' own, so an ArgumentException names what the app passed.

    /// <summary>An update setting <paramref name="properties"/>; null when there are none, as there is nothing to send.</summary>
    public static ProfileUpdate? ForProperties(ProfileOperation operation, IReadOnlyDictionary<string, object?> properties)
    {
        Guard.NotNull(properties);
        var snapshot = PropertyValues.Snapshot(properties, nameof(properties));
        foreach (var pair in snapshot)
        {
            RequireProfileProperty(pair.Key, nameof(properties));
        }

        return snapshot.Count > 0 ? new ProfileUpdate(operation, snapshot) : null;
    }

    /// <summary>An update of the one property <paramref name="name"/>.</summary>
    public static ProfileUpdate ForProperty(
        ProfileOperation operation,
        string name,
        object? value,
        [CallerArgumentExpression(nameof(value))] string? valueParamName = null)
    {
        PropertyValues.ValidateName(name, nameof(name));
        RequireProfileProperty(name, nameof(name));
        var normalized = PropertyValues.Normalize(value, name, valueParamName ?? nameof(value));
        return new ProfileUpdate(operation, new PropertyMap([new(name, normalized)]));
    }

    /// <summary>
    /// A <c>$union</c> of <paramref name="values"/> into the list <paramref name="name"/>: at least one value, each a
    /// string or a number (or what is written as a string: a date, a GUID, an enum), as Mixpanel's ingestion API takes them.
    /// </summary>
    public static ProfileUpdate ForUnion(string name, IEnumerable<object?> values)
    {
        Guard.NotNull(values);
        var update = ForProperty(ProfileOperation.Union, name, values, nameof(values));
        var list = (PropertyList)((PropertyMap)update.Payload!)[name]!;
        if (list.Count == 0)
        {
            throw new ArgumentException("A union needs at least one value.", nameof(values));
        }

        foreach (var value in list)
        {
            if (value is null or bool or PropertyMap or PropertyList)
            {
                throw new ArgumentException("A union takes strings and numbers only (Mixpanel's $union): not null, true/false, lists or objects.", nameof(values));
            }
        }

        return update;
    }

    /// <summary>An update removing <paramref name="names"/>; null when there are none.</summary>
    public static ProfileUpdate? ForUnset(string[] names)
    {
        Guard.NotNull(names);
        foreach (var name in names)
        {
            PropertyValues.ValidateName(name, nameof(names));
            RequireProfileProperty(name, nameof(names));
        }

        return names.Length > 0 ? new ProfileUpdate(ProfileOperation.Unset, new PropertyList([.. names])) : null;
    }

    private static void RequireProfileProperty(string name, string paramName)
    {
        if (Array.IndexOf(ReservedNames.ProfileRecordFields, name) >= 0)
        {
            throw new ArgumentException(
                $"'{name}' is a field of the update record, not a profile property: the client sets it. Use Identify to choose whose profile is updated.",
                paramName);
        }
    }

    public static string WireName(ProfileOperation operation) => operation switch
    {
        ProfileOperation.Set => ReservedNames.Set,
        ProfileOperation.SetOnce => ReservedNames.SetOnce,
        ProfileOperation.Add => ReservedNames.Add,
        ProfileOperation.Append => ReservedNames.Append,
        ProfileOperation.Union => ReservedNames.Union,
        ProfileOperation.Remove => ReservedNames.Remove,
        ProfileOperation.Unset => ReservedNames.Unset,
        ProfileOperation.Delete => ReservedNames.Delete,
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public static bool TryParseWireName(string? name, out ProfileOperation operation)
    {
        for (var candidate = ProfileOperation.Set; candidate <= ProfileOperation.Delete; candidate++)
        {
            if (string.Equals(WireName(candidate), name, StringComparison.Ordinal))
            {
                operation = candidate;
                return true;
            }
        }

        operation = default;
        return false;
    }
}
