using System.Collections;
using System.Globalization;

using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// Validates property values at the app's call and takes an immutable snapshot of them. Values Mixpanel can store:
/// strings, booleans, numbers, null, dates, GUIDs, enums, lists and string-keyed objects (depth ≤ 3, fewer than 255
/// entries each). Anything else is the app's mistake and gets an <see cref="ArgumentException"/> naming the property.
/// </summary>
internal static class PropertyValues
{
    /// <summary>Snapshots a property dictionary; <see cref="PropertyMap.Empty"/> for null or empty.</summary>
    public static PropertyMap Snapshot(IReadOnlyDictionary<string, object?>? properties, string paramName)
    {
        if (properties is null || properties.Count == 0)
        {
            return PropertyMap.Empty;
        }

        if (properties is PropertyMap map)
        {
            return map;
        }

        var count = properties.Count;
        if (count > MixpanelLimits.MaxPropertiesPerRecord)
        {
            throw new ArgumentException(
                $"Mixpanel accepts fewer than {MixpanelLimits.MaxPropertiesPerRecord + 1} properties per record; {count} were given.",
                paramName);
        }

        var items = new KeyValuePair<string, object?>[count];
        var filled = 0;

        // Dictionary<,> enumerates without boxing its enumerator: the common case on the Track path.
        if (properties is Dictionary<string, object?> dictionary)
        {
            foreach (var pair in dictionary)
            {
                Add(items, ref filled, pair, paramName);
            }
        }
        else
        {
            foreach (var pair in properties)
            {
                Add(items, ref filled, pair, paramName);
            }
        }

        if (filled != count)
        {
            throw new ArgumentException("The properties changed while they were being read.", paramName);
        }

        return new PropertyMap(items);
    }

    /// <summary>Validates and snapshots one value of the property <paramref name="propertyName"/>.</summary>
    public static object? Normalize(object? value, string propertyName, string paramName) =>
        NormalizeValue(value, 0, propertyName, paramName);

    /// <summary>Throws unless <paramref name="name"/> is usable as a property name.</summary>
    public static void ValidateName(string? name, string paramName)
    {
        if (name is null)
        {
            throw new ArgumentNullException(paramName, "A property name must not be null.");
        }

        if (name.Length == 0)
        {
            throw new ArgumentException("A property name must not be empty.", paramName);
        }

        if (name.Length > MixpanelLimits.MaxPropertyNameLength)
        {
            throw new ArgumentException(
                $"The property name '{name.Substring(0, 32)}…' has {name.Length} characters; Mixpanel takes names of at most {MixpanelLimits.MaxPropertyNameLength}.",
                paramName);
        }

        if (!WellFormedText.IsWellFormed(name))
        {
            throw WellFormedText.Refusal("A property name", paramName);
        }
    }

    private static void Add(KeyValuePair<string, object?>[] items, ref int filled, KeyValuePair<string, object?> pair, string paramName)
    {
        if (filled == items.Length)
        {
            throw new ArgumentException("The properties changed while they were being read.", paramName);
        }

        ValidateName(pair.Key, paramName);
        items[filled++] = new KeyValuePair<string, object?>(pair.Key, NormalizeValue(pair.Value, 0, pair.Key, paramName));
    }

    private static object? NormalizeValue(object? value, int depth, string propertyName, string paramName)
    {
        switch (value)
        {
            // Immutable scalars are kept as they are; the JSON writer formats them off the caller's thread.
            case null:
            case string:
            case bool:
            case int:
            case long:
            case Guid:
            case DateTime:
            case DateTimeOffset:
            case decimal:
            case short:
            case ushort:
            case byte:
            case sbyte:
            case uint:
            case ulong:
            case Enum:
            case PropertyMap:
            case PropertyList:
                return value;
            case double number:
                return IsFinite(number) ? value : throw NotFinite(propertyName, paramName);
            case float number:
                return IsFinite(number) ? value : throw NotFinite(propertyName, paramName);
            case char character:
                return character.ToString();
            case IReadOnlyDictionary<string, object?> readOnlyDictionary:
                return SnapshotObject(readOnlyDictionary, readOnlyDictionary.Count, depth, propertyName, paramName);
            case IDictionary<string, object?> dictionary:
                return SnapshotObject(dictionary, dictionary.Count, depth, propertyName, paramName);
            case IDictionary legacyDictionary:
                return SnapshotLegacyObject(legacyDictionary, depth, propertyName, paramName);
            case IEnumerable sequence:
                return SnapshotList(sequence, depth, propertyName, paramName);
            default:
                throw new ArgumentException(
                    $"The property '{propertyName}' has a value of type {value.GetType().FullName}, which Mixpanel cannot store. " +
                    "Use a string, bool, number, null, DateTime, DateTimeOffset, Guid, enum, list or string-keyed dictionary.",
                    paramName);
        }
    }

    private static PropertyMap SnapshotObject(
        IEnumerable<KeyValuePair<string, object?>> entries, int count, int depth, string propertyName, string paramName)
    {
        var innerDepth = EnterContainer(depth, count, propertyName, paramName);
        var items = new KeyValuePair<string, object?>[count];
        var filled = 0;
        foreach (var pair in entries)
        {
            if (filled == count)
            {
                throw new ArgumentException($"The property '{propertyName}' changed while it was being read.", paramName);
            }

            if (string.IsNullOrEmpty(pair.Key) || !WellFormedText.IsWellFormed(pair.Key))
            {
                throw new ArgumentException($"The property '{propertyName}' holds an object with an empty or ill-formed key.", paramName);
            }

            items[filled++] = new KeyValuePair<string, object?>(pair.Key, NormalizeValue(pair.Value, innerDepth, propertyName, paramName));
        }

        return filled == count
            ? new PropertyMap(items)
            : throw new ArgumentException($"The property '{propertyName}' changed while it was being read.", paramName);
    }

    private static PropertyMap SnapshotLegacyObject(IDictionary dictionary, int depth, string propertyName, string paramName)
    {
        var innerDepth = EnterContainer(depth, dictionary.Count, propertyName, paramName);
        var items = new List<KeyValuePair<string, object?>>(dictionary.Count);
        foreach (DictionaryEntry entry in dictionary)
        {
            if (entry.Key is not string key || key.Length == 0 || !WellFormedText.IsWellFormed(key))
            {
                throw new ArgumentException(
                    $"The property '{propertyName}' holds a dictionary whose keys are not all non-empty strings.", paramName);
            }

            items.Add(new KeyValuePair<string, object?>(key, NormalizeValue(entry.Value, innerDepth, propertyName, paramName)));
        }

        return new PropertyMap([.. items]);
    }

    private static PropertyList SnapshotList(IEnumerable sequence, int depth, string propertyName, string paramName)
    {
        var known = sequence is ICollection collection ? collection.Count : 0;
        var innerDepth = EnterContainer(depth, known, propertyName, paramName);
        var items = new List<object?>(known);
        foreach (var element in sequence)
        {
            if (items.Count == MixpanelLimits.MaxCollectionCount)
            {
                throw TooMany(propertyName, paramName);
            }

            items.Add(NormalizeValue(element, innerDepth, propertyName, paramName));
        }

        return new PropertyList([.. items]);
    }

    private static int EnterContainer(int depth, int count, string propertyName, string paramName)
    {
        if (depth + 1 > MixpanelLimits.MaxNestingDepth)
        {
            throw new ArgumentException(
                $"The property '{propertyName}' nests lists or objects deeper than Mixpanel's limit of {MixpanelLimits.MaxNestingDepth} levels.",
                paramName);
        }

        return count > MixpanelLimits.MaxCollectionCount ? throw TooMany(propertyName, paramName) : depth + 1;
    }

    private static ArgumentException TooMany(string propertyName, string paramName) =>
        new(string.Format(
                CultureInfo.InvariantCulture,
                "The property '{0}' holds a list or object with more than Mixpanel's limit of {1} entries.",
                propertyName,
                MixpanelLimits.MaxCollectionCount),
            paramName);

    private static ArgumentException NotFinite(string propertyName, string paramName) =>
        new($"The property '{propertyName}' is NaN or infinite, which JSON cannot carry.", paramName);

    private static bool IsFinite(double value) => !double.IsNaN(value) && !double.IsInfinity(value);
}
