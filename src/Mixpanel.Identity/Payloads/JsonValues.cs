using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// Writes and reads validated property values as JSON with <see cref="Utf8JsonWriter"/>/<see cref="JsonElement"/>:
/// no reflection, so the package stays trimming- and AOT-safe.
/// </summary>
internal static class JsonValues
{
    /// <summary>
    /// Bodies go to an HTTP API, never into HTML, so non-ASCII text is written as is rather than escaped: smaller
    /// requests, and what is escaped still covers quotes and control characters.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    // Mixpanel's date type: an ISO 8601 date and time in UTC, "YYYY-MM-DDTHH:MM:SS" (property data types reference).
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss";

    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string text:
                writer.WriteStringValue(Truncate(text));
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case int number:
                writer.WriteNumberValue(number);
                break;
            case long number:
                writer.WriteNumberValue(number);
                break;
            case double number:
                writer.WriteNumberValue(number);
                break;
            case PropertyMap map:
                WriteObject(writer, map);
                break;
            case PropertyList list:
                WriteList(writer, list);
                break;
            case float number:
                writer.WriteNumberValue(number);
                break;
            case decimal number:
                writer.WriteNumberValue(number);
                break;
            case short number:
                writer.WriteNumberValue(number);
                break;
            case ushort number:
                writer.WriteNumberValue(number);
                break;
            case byte number:
                writer.WriteNumberValue(number);
                break;
            case sbyte number:
                writer.WriteNumberValue(number);
                break;
            case uint number:
                writer.WriteNumberValue(number);
                break;
            case ulong number:
                writer.WriteNumberValue(number);
                break;
            case Guid guid:
                writer.WriteStringValue(guid);
                break;
            case DateTime date:
                writer.WriteStringValue(ToUniversal(date).ToString(DateFormat, CultureInfo.InvariantCulture));
                break;
            case DateTimeOffset date:
                writer.WriteStringValue(date.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture));
                break;
            case Enum enumValue:
                writer.WriteStringValue(enumValue.ToString());
                break;
            default:
                // PropertyValues admits nothing else; reaching here is a bug in the client, not in the app.
                throw new InvalidOperationException($"A value of type {value.GetType().FullName} reached the JSON writer unvalidated.");
        }
    }

    public static void WriteObject(Utf8JsonWriter writer, PropertyMap map)
    {
        writer.WriteStartObject();
        foreach (var item in map.Items)
        {
            writer.WritePropertyName(item.Key);
            Write(writer, item.Value);
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Reads a set of properties (<see cref="WriteObject"/>'s output) back into exactly what <see cref="PropertyValues"/>
    /// produces, to the same depth; anything the client could not have written is a <see cref="FormatException"/>.
    /// </summary>
    public static PropertyMap ReadObject(JsonElement element) => ReadObject(element, containers: 0);

    /// <summary>Reads a list of property values at the top level, as <see cref="WriteList"/> wrote it.</summary>
    public static PropertyList ReadList(JsonElement element) => ReadList(element, containers: 0);

    public static void WriteList(Utf8JsonWriter writer, PropertyList list)
    {
        writer.WriteStartArray();
        foreach (var element in list)
        {
            Write(writer, element);
        }

        writer.WriteEndArray();
    }

    /// <summary>Reads one value, <paramref name="containers"/> lists or objects deep already.</summary>
    private static object? Read(JsonElement element, int containers)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return ReadString(element);
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var whole))
                {
                    return whole;
                }

                var number = element.GetDouble();
                return double.IsNaN(number) || double.IsInfinity(number)
                    ? throw new FormatException("A number is beyond what a property value can hold.")
                    : number;
            case JsonValueKind.Object when containers < MixpanelLimits.MaxNestingDepth:
                return ReadObject(element, containers + 1);
            case JsonValueKind.Array when containers < MixpanelLimits.MaxNestingDepth:
                return ReadList(element, containers + 1);
            case JsonValueKind.Null:
                return null;
            default:
                throw new FormatException($"A {element.ValueKind} value is not a property value here.");
        }
    }

    private static PropertyMap ReadObject(JsonElement element, int containers)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("Properties are not a JSON object.");
        }

        var items = new List<KeyValuePair<string, object?>>();
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Length == 0 || !WellFormedText.IsWellFormed(property.Name) || items.Count == MixpanelLimits.MaxCollectionCount)
            {
                throw new FormatException("A property name is empty or ill-formed, or there are too many.");
            }

            items.Add(new KeyValuePair<string, object?>(property.Name, Read(property.Value, containers)));
        }

        return new PropertyMap([.. items]);
    }

    private static PropertyList ReadList(JsonElement element, int containers)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() > MixpanelLimits.MaxCollectionCount)
        {
            throw new FormatException("A list is not a JSON array, or is too long.");
        }

        var items = new object?[element.GetArrayLength()];
        var i = 0;
        foreach (var child in element.EnumerateArray())
        {
            items[i++] = Read(child, containers);
        }

        return new PropertyList(items);
    }

    /// <summary>A string as the client could have written it: well-formed UTF-16.</summary>
    public static string ReadString(JsonElement element)
    {
        var text = element.GetString()!;
        return WellFormedText.IsWellFormed(text) ? text : throw new FormatException("A string is not well-formed UTF-16.");
    }

    /// <summary>Cuts a string to Mixpanel's 255 characters, never between the two halves of a surrogate pair.</summary>
    public static ReadOnlySpan<char> Truncate(string text) => Truncate(text.AsSpan());

    /// <summary>As <see cref="Truncate(string)"/>, as a string: <paramref name="text"/> itself when it is short enough.</summary>
    public static string TruncateToString(string text) =>
        text.Length <= MixpanelLimits.MaxStringLength ? text : Truncate(text.AsSpan()).ToString();

    /// <inheritdoc cref="Truncate(string)"/>
    public static ReadOnlySpan<char> Truncate(ReadOnlySpan<char> text)
    {
        if (text.Length <= MixpanelLimits.MaxStringLength)
        {
            return text;
        }

        var length = MixpanelLimits.MaxStringLength;
        if (char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text.Slice(0, length);
    }

    // Mixpanel dates are UTC; a DateTime of unspecified kind is taken to be UTC already.
    private static DateTime ToUniversal(DateTime date) => date.Kind == DateTimeKind.Local ? date.ToUniversalTime() : date;
}
