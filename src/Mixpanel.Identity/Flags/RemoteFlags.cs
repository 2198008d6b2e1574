using System.Text.Json;

namespace Mixpanel.Identity.Flags;

/// <summary>Reads the answer of <c>/flags</c>: <c>{"flags": {"&lt;key&gt;": {"variant_key", "variant_value", …}}}</c>.</summary>
internal static class RemoteFlags
{
    public static Dictionary<string, MixpanelFlagVariant> Read(
        JsonElement answer, MixpanelFlagSource source, DateTimeOffset fetchStartedAt = default, DateTimeOffset fetchedAt = default)
    {
        var read = new Dictionary<string, MixpanelFlagVariant>(StringComparer.Ordinal);
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("flags", out var flags) || flags.ValueKind != JsonValueKind.Object)
        {
            return read;
        }

        foreach (var flag in flags.EnumerateObject())
        {
            var variant = flag.Value;
            if (variant.ValueKind != JsonValueKind.Object || !variant.TryGetProperty("variant_key", out var key) || key.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            read[flag.Name] = MixpanelFlagVariant.Selected(
                key.GetString()!,
                variant.TryGetProperty("variant_value", out var value) ? value.Clone() : default,
                source,
                variant.TryGetProperty("experiment_id", out var id) && id.ValueKind != JsonValueKind.Null ? JsValues.ToStr(JsConvert.FromJson(id, false, false)) : null,
                Boolean(variant, "is_experiment_active"),
                Boolean(variant, "is_qa_tester"),
                fetchStartedAt,
                fetchedAt);
        }

        return read;
    }

    private static bool? Boolean(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;
}
