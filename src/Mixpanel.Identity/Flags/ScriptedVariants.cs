using System.Text.Json;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// Mixpanel's answers as a test scripts them, for the fakes: a variant per flag for everyone, or for one distinct id
/// (which wins), to a person who is not a QA tester. The fakes serve them through the real <see cref="MixpanelFlags"/> and <see cref="MixpanelClientFlags"/>,
/// so that what follows an answer (fallbacks, exposures, their identity and their deduplication) is the clients' own.
/// </summary>
internal sealed class ScriptedVariants
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (string Key, JsonElement Value)> _everyone = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Flag, string DistinctId), (string Key, JsonElement Value)> _people = [];

    /// <summary>Told after each change: an app's flags fetch again, as an app would after Mixpanel's answer changed.</summary>
    public Action? Changed { get; set; }

    /// <summary>Scripts <paramref name="variantKey"/> with <paramref name="value"/> (a CLR value, as for custom properties).</summary>
    /// <exception cref="ArgumentException">The flag or variant key is empty.</exception>
    public void Set(string flagKey, string variantKey, object? value, string? distinctId)
    {
        if (string.IsNullOrEmpty(flagKey))
        {
            throw new ArgumentException("A flag key is required.", nameof(flagKey));
        }

        if (string.IsNullOrEmpty(variantKey))
        {
            throw new ArgumentException("A variant key is required: a flag without a variant is one Mixpanel does not answer.", nameof(variantKey));
        }

        if (distinctId is { Length: 0 })
        {
            throw new ArgumentException("The distinct id, when given, cannot be empty.", nameof(distinctId));
        }

        var variant = (variantKey, ToJson(value));
        lock (_gate)
        {
            if (distinctId is null)
            {
                _everyone[flagKey] = variant;
            }
            else
            {
                _people[(flagKey, distinctId)] = variant;
            }
        }

        Changed?.Invoke();
    }

    /// <summary>Forgets every variant scripted for <paramref name="flagKey"/>: Mixpanel no longer answers it.</summary>
    public void Remove(string flagKey)
    {
        lock (_gate)
        {
            _everyone.Remove(flagKey);
            foreach (var key in _people.Keys.Where(k => k.Flag == flagKey).ToList())
            {
                _people.Remove(key);
            }
        }

        Changed?.Invoke();
    }

    /// <summary>The variant of <paramref name="flagKey"/> for <paramref name="distinctId"/>; null when none is scripted.</summary>
    public MixpanelFlagVariant? Find(string flagKey, string distinctId, MixpanelFlagSource source)
    {
        lock (_gate)
        {
            return _people.TryGetValue((flagKey, distinctId), out var variant) || _everyone.TryGetValue(flagKey, out variant)
                ? MixpanelFlagVariant.Selected(variant.Key, variant.Value, source, experimentId: null, isExperimentActive: null, isQaTester: false)
                : null;
        }
    }

    /// <summary>Every flag's variant for <paramref name="distinctId"/>, as one fetch of an app's flags brings them.</summary>
    public Dictionary<string, MixpanelFlagVariant> All(string distinctId, DateTimeOffset fetchedAt)
    {
        lock (_gate)
        {
            var all = new Dictionary<string, MixpanelFlagVariant>(StringComparer.Ordinal);
            foreach (var flagKey in _everyone.Keys.Concat(_people.Keys.Where(k => k.DistinctId == distinctId).Select(k => k.Flag)).Distinct())
            {
                var variant = _people.TryGetValue((flagKey, distinctId), out var own) ? own : _everyone[flagKey];
                all[flagKey] = MixpanelFlagVariant.Selected(variant.Key, variant.Value, MixpanelFlagSource.Remote, null, null, isQaTester: false, fetchedAt, fetchedAt);
            }

            return all;
        }
    }

    private static JsonElement ToJson(object? value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            JsConvert.Write(writer, JsConvert.FromClr(value, lowercase: false));
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }
}
