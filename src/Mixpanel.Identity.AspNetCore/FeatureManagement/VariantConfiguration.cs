using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Mixpanel.Identity.AspNetCore.FeatureManagement;

/// <summary>
/// A Mixpanel variant's JSON value as the configuration of a <c>Microsoft.FeatureManagement</c> variant, laid out as the
/// JSON configuration provider lays out a file: a string, number or boolean is the section's <c>Value</c> (booleans as
/// <c>true</c>/<c>false</c>, numbers as Mixpanel wrote them); an object's fields and an array's items are child
/// sections (<c>["color"]</c>, <c>["sizes:0"]</c>), so that <c>Get&lt;T&gt;()</c> binds them.
/// </summary>
internal static class VariantConfiguration
{
    public const string SectionKey = "configuration_value";

    public static IConfigurationSection From(JsonElement value)
    {
        var pairs = new List<KeyValuePair<string, string?>>();
        Flatten(SectionKey, value, pairs);
        return new ConfigurationBuilder().AddInMemoryCollection(pairs).Build().GetSection(SectionKey);
    }

    private static void Flatten(string path, JsonElement value, List<KeyValuePair<string, string?>> pairs)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Flatten(path + ConfigurationPath.KeyDelimiter + property.Name, property.Value, pairs);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Flatten(path + ConfigurationPath.KeyDelimiter + index.ToString(CultureInfo.InvariantCulture), item, pairs);
                    index++;
                }

                break;
            case JsonValueKind.String:
                pairs.Add(new(path, value.GetString()));
                break;
            case JsonValueKind.Number:
                pairs.Add(new(path, value.GetRawText()));
                break;
            case JsonValueKind.True or JsonValueKind.False:
                pairs.Add(new(path, value.ValueKind == JsonValueKind.True ? "true" : "false"));
                break;
            default:
                // null, or no value: the section exists with no value, as the JSON provider has it for null.
                pairs.Add(new(path, null));
                break;
        }
    }
}
