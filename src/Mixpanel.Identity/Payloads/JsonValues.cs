using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

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
                writer.WriteStartArray();
                foreach (var element in list)
                {
                    Write(writer, element);
                }

                writer.WriteEndArray();
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

    /// <summary>Reads JSON back into the value types <see cref="PropertyValues"/> produces.</summary>
    public static object? Read(JsonElement element, int depth = 0)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return element.GetString();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.Number:
                return element.TryGetInt64(out var whole) ? whole : element.GetDouble();
            case JsonValueKind.Object when depth < MixpanelLimits.MaxNestingDepth:
                return ReadObject(element, depth + 1);
            case JsonValueKind.Array when depth < MixpanelLimits.MaxNestingDepth:
                var items = new List<object?>();
                foreach (var child in element.EnumerateArray())
                {
                    items.Add(Read(child, depth + 1));
                }

                return new PropertyList([.. items]);
            case JsonValueKind.Null:
                return null;
            default:
                throw new JsonException($"A {element.ValueKind} value is not a property value here.");
        }
    }

    public static PropertyMap ReadObject(JsonElement element, int depth = 0)
    {
        var items = new List<KeyValuePair<string, object?>>();
        foreach (var property in element.EnumerateObject())
        {
            items.Add(new KeyValuePair<string, object?>(property.Name, Read(property.Value, depth)));
        }

        return new PropertyMap([.. items]);
    }

    /// <summary>Cuts a string to Mixpanel's 255 characters, never between the two halves of a surrogate pair.</summary>
    public static ReadOnlySpan<char> Truncate(string text)
    {
        if (text.Length <= MixpanelLimits.MaxStringLength)
        {
            return text.AsSpan();
        }

        var length = MixpanelLimits.MaxStringLength;
        if (char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text.AsSpan(0, length);
    }

    // Mixpanel dates are UTC; a DateTime of unspecified kind is taken to be UTC already.
    private static DateTime ToUniversal(DateTime date) => date.Kind == DateTimeKind.Local ? date.ToUniversalTime() : date;
}
