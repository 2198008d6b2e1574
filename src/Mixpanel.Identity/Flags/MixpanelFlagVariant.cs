using System.Text.Json;

namespace Mixpanel.Identity;

/// <summary>A flag's variant for a context: its key and value, where it came from, and, for a fallback, why.</summary>
public sealed class MixpanelFlagVariant
{
    private static readonly JsonElement TrueValue = Parse("true");
    private static readonly JsonElement FalseValue = Parse("false");

    /// <summary>Creates a variant, typically a fallback to pass to <c>GetVariant</c>.</summary>
    /// <param name="key">The variant key; null for a fallback without one.</param>
    /// <param name="value">The variant value.</param>
    public MixpanelFlagVariant(string? key, JsonElement value)
    {
        Key = key;
        Value = value;
    }

    /// <summary>The variant key; null for a fallback without one.</summary>
    public string? Key { get; }

    /// <summary>The variant value: a string, number, boolean or JSON object; <see cref="JsonValueKind.Undefined"/> for a fallback without one.</summary>
    public JsonElement Value { get; }

    /// <summary>Where the variant came from.</summary>
    public MixpanelFlagSource Source { get; private init; } = MixpanelFlagSource.Fallback;

    /// <summary>Why the fallback was returned; null unless <see cref="Source"/> is <see cref="MixpanelFlagSource.Fallback"/>.</summary>
    public MixpanelFlagFallbackReason? FallbackReason { get; private init; }

    /// <summary>The experiment the flag belongs to, when Mixpanel names one.</summary>
    public string? ExperimentId { get; private init; }

    /// <summary>Whether the flag's experiment is running, when Mixpanel says.</summary>
    public bool? IsExperimentActive { get; private init; }

    /// <summary>Whether the variant was given because the distinct id is a QA tester of the flag.</summary>
    public bool? IsQaTester { get; private init; }

    /// <summary>A fallback holding a boolean, as for a feature gate.</summary>
    /// <param name="value">The value.</param>
    public static MixpanelFlagVariant FromValue(bool value) => new(null, value ? TrueValue : FalseValue);

    /// <summary>A fallback holding a string.</summary>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public static MixpanelFlagVariant FromValue(string value) =>
        new(null, Parse(JsonSerializerString(value ?? throw new ArgumentNullException(nameof(value)))));

    /// <summary>When the fetch that brought the variant started (a client's remote variants).</summary>
    internal DateTimeOffset FetchStartedAt { get; private init; }

    /// <summary>When the fetch that brought the variant completed.</summary>
    internal DateTimeOffset FetchedAt { get; private init; }

    internal static MixpanelFlagVariant Selected(
        string key, JsonElement value, MixpanelFlagSource source, string? experimentId, bool? isExperimentActive, bool? isQaTester,
        DateTimeOffset fetchStartedAt = default, DateTimeOffset fetchedAt = default) =>
        new(key, value)
        {
            Source = source,
            ExperimentId = experimentId,
            IsExperimentActive = isExperimentActive,
            IsQaTester = isQaTester,
            FetchStartedAt = fetchStartedAt,
            FetchedAt = fetchedAt,
        };

    internal static MixpanelFlagVariant Fallback(MixpanelFlagVariant? fallback, MixpanelFlagFallbackReason reason) =>
        new(fallback?.Key, fallback?.Value ?? default) { FallbackReason = reason };

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static string JsonSerializerString(string value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(value);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
