using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// Values into JavaScript's (<see cref="JsValues"/>) and out as JSON: a rule read from a definition, an app's custom
/// properties as Mixpanel's SDKs see them after <c>JSON.stringify</c>, and the lower-casing the runtime rules apply.
/// </summary>
internal static class JsConvert
{
    public static object? FromJson(JsonElement element, bool lowercaseKeys, bool lowercaseStrings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                var text = element.GetString()!;
                return lowercaseStrings ? JsValues.ToLower(text) : text;
            case JsonValueKind.Number:
                return element.GetDouble();
            case JsonValueKind.True:
                return JsValues.True;
            case JsonValueKind.False:
                return JsValues.False;
            case JsonValueKind.Array:
                var array = new JsArray(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    array.Add(FromJson(item, lowercaseKeys, lowercaseStrings));
                }

                return array;
            case JsonValueKind.Object:
                var map = new JsObject();
                foreach (var property in element.EnumerateObject())
                {
                    map[lowercaseKeys ? JsValues.ToLower(property.Name) : property.Name] = FromJson(property.Value, lowercaseKeys, lowercaseStrings);
                }

                return map;
            default:
                return null;
        }
    }

    /// <summary>An app's value as it reads after a round trip through JSON (a date as JavaScript's ISO text, NaN as null).</summary>
    public static object? FromClr(object? value, bool lowercase)
    {
        switch (value)
        {
            case null:
                return null;
            case string text:
                return lowercase ? JsValues.ToLower(text) : text;
            case bool flag:
                return JsValues.Bool(flag);
            case double number:
                return double.IsNaN(number) || double.IsInfinity(number) ? null : number;
            case float number:
                return float.IsNaN(number) || float.IsInfinity(number) ? null : (double)number;
            case int or long or short or byte or sbyte or uint or ulong or ushort or decimal:
                return Convert.ToDouble(value, CultureInfo.InvariantCulture);
            case JsonElement element:
                return FromJson(element, lowercase, lowercase);
            case DateTimeOffset date:
                return Text(date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), lowercase);
            case DateTime date:
                var utc = date.Kind == DateTimeKind.Local ? date.ToUniversalTime() : date;
                return Text(utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), lowercase);
            case IEnumerable<KeyValuePair<string, object?>> pairs:
                var map = new JsObject();
                foreach (var pair in pairs)
                {
                    map[lowercase ? JsValues.ToLower(pair.Key) : pair.Key] = FromClr(pair.Value, lowercase);
                }

                return map;
            case IEnumerable sequence:
                var array = new JsArray();
                foreach (var item in sequence)
                {
                    array.Add(FromClr(item, lowercase));
                }

                return array;
            case IFormattable formattable:
                return Text(formattable.ToString(null, CultureInfo.InvariantCulture), lowercase);
            default:
                return Text(value.ToString() ?? string.Empty, lowercase);
        }
    }

    /// <summary>Writes a JavaScript value as <c>JSON.stringify</c> would (undefined and non-finite numbers as null).</summary>
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case string text:
                writer.WriteStringValue(text);
                break;
            case bool flag:
                writer.WriteBooleanValue(flag);
                break;
            case double number when !double.IsNaN(number) && !double.IsInfinity(number):
                writer.WriteNumberValue(number);
                break;
            case JsArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsObject map:
                writer.WriteStartObject();
                foreach (var pair in map)
                {
                    writer.WritePropertyName(pair.Key);
                    Write(writer, pair.Value);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static string Text(string text, bool lowercase) => lowercase ? JsValues.ToLower(text) : text;
}
