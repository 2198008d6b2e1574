using System.Globalization;
using System.Text.Json;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// One flag as <c>/flags/definitions</c> describes it, read once into what evaluation needs: the salts made up front,
/// the runtime rules as JavaScript values with their leaves lower-cased (as Mixpanel's SDKs apply them).
/// </summary>
internal sealed class FlagDefinition
{
    private FlagDefinition(string key, string contextKey, IReadOnlyList<FlagVariant> variants, IReadOnlyList<FlagRollout> rollouts, string variantSalt)
    {
        Key = key;
        ContextKey = contextKey;
        Variants = variants;
        Rollouts = rollouts;
        VariantSalt = variantSalt;
    }

    public string Key { get; }

    /// <summary>The context value that assigns: <c>distinct_id</c>, <c>device_id</c> or a group key.</summary>
    public string ContextKey { get; }

    public IReadOnlyList<FlagVariant> Variants { get; }

    public IReadOnlyList<FlagRollout> Rollouts { get; }

    /// <summary>key + hash salt (empty when absent) + "variant".</summary>
    public string VariantSalt { get; }

    /// <summary>QA testers: distinct id to variant key.</summary>
    public IReadOnlyDictionary<string, string>? TestUsers { get; private init; }

    /// <summary>The experiment id, when the definition has one (it may be null).</summary>
    public object? ExperimentId { get; private init; }

    public bool HasExperimentId { get; private init; }

    public bool? IsExperimentActive { get; private init; }

    public bool HasExperimentActive { get; private init; }

    /// <summary>Reads the flags of a <c>/flags/definitions</c> answer, keyed by flag key (the last of a key wins).</summary>
    /// <exception cref="JsonException">The answer is not a definitions document.</exception>
    public static Dictionary<string, FlagDefinition> ReadAll(JsonElement answer)
    {
        if (answer.ValueKind != JsonValueKind.Object || !answer.TryGetProperty("flags", out var flags) || flags.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("A flag definitions answer is an object with a 'flags' array.");
        }

        var read = new Dictionary<string, FlagDefinition>(StringComparer.Ordinal);
        foreach (var flag in flags.EnumerateArray())
        {
            var definition = Read(flag);
            read[definition.Key] = definition;
        }

        return read;
    }

    /// <exception cref="JsonException">The flag lacks its key, context or ruleset.</exception>
    public static FlagDefinition Read(JsonElement flag)
    {
        var key = RequiredString(flag, "key");
        var contextKey = RequiredString(flag, "context");
        if (!flag.TryGetProperty("ruleset", out var ruleset) || ruleset.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"The flag '{key}' has no ruleset.");
        }

        // A salt is "present" unless absent or null, as the official SDKs test it (hash_salt != null).
        string? hashSalt = flag.TryGetProperty("hash_salt", out var salt) && salt.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
            ? JsValues.ToStr(JsConvert.FromJson(salt, false, false))
            : null;

        var variants = new List<FlagVariant>();
        if (ruleset.TryGetProperty("variants", out var variantList) && variantList.ValueKind == JsonValueKind.Array)
        {
            foreach (var variant in variantList.EnumerateArray())
            {
                variants.Add(new FlagVariant(
                    RequiredString(variant, "key"),
                    variant.TryGetProperty("value", out var value) ? value.Clone() : default,
                    Split(variant, "split")));
            }
        }

        var rollouts = new List<FlagRollout>();
        if (ruleset.TryGetProperty("rollout", out var rolloutList) && rolloutList.ValueKind == JsonValueKind.Array)
        {
            foreach (var rollout in rolloutList.EnumerateArray())
            {
                var index = rollouts.Count.ToString(CultureInfo.InvariantCulture);
                rollouts.Add(FlagRollout.Read(rollout, hashSalt is null ? key + "rollout" : key + hashSalt + index));
            }
        }

        var hasExperimentId = flag.TryGetProperty("experiment_id", out var experimentId);
        var hasActive = flag.TryGetProperty("is_experiment_active", out var active);
        return new FlagDefinition(key, contextKey, variants, rollouts, key + (hashSalt ?? string.Empty) + "variant")
        {
            TestUsers = ReadTestUsers(ruleset),
            HasExperimentId = hasExperimentId,
            ExperimentId = hasExperimentId ? JsConvert.FromJson(experimentId, false, false) : null,
            HasExperimentActive = hasActive,
            IsExperimentActive = hasActive && active.ValueKind is JsonValueKind.True or JsonValueKind.False ? active.GetBoolean() : null,
        };
    }

    /// <summary>The first variant whose key equals <paramref name="variantKey"/> ignoring case (JavaScript's lower-casing).</summary>
    public FlagVariant? FindVariant(string variantKey)
    {
        var wanted = JsValues.ToLower(variantKey);
        foreach (var variant in Variants)
        {
            if (string.Equals(variant.LowerKey, wanted, StringComparison.Ordinal))
            {
                return variant;
            }
        }

        return null;
    }

    internal static double Split(JsonElement owner, string name) =>
        owner.TryGetProperty(name, out var split) && split.ValueKind == JsonValueKind.Number ? split.GetDouble() : 0;

    private static Dictionary<string, string>? ReadTestUsers(JsonElement ruleset)
    {
        if (!ruleset.TryGetProperty("test", out var test) || test.ValueKind != JsonValueKind.Object ||
            !test.TryGetProperty("users", out var users) || users.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var read = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in users.EnumerateObject())
        {
            if (user.Value.ValueKind == JsonValueKind.String && user.Value.GetString() is { Length: > 0 } variantKey)
            {
                read[user.Name] = variantKey;
            }
        }

        return read;
    }

    private static string RequiredString(JsonElement owner, string name) =>
        owner.ValueKind == JsonValueKind.Object && owner.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new JsonException($"A flag definition needs '{name}' as a string.");
}

/// <summary>A variant: its key, its value as the definition gives it, and its share of the rollout.</summary>
internal sealed class FlagVariant(string key, JsonElement value, double split)
{
    public string Key { get; } = key;

    public string LowerKey { get; } = JsValues.ToLower(key);

    public JsonElement Value { get; } = value;

    public double Split { get; } = split;
}

/// <summary>One rollout of a flag: its share, its runtime rule, and the variant it forces or the splits it changes.</summary>
internal sealed class FlagRollout
{
    private FlagRollout(string salt, double percentage) => (Salt, Percentage) = (salt, percentage);

    /// <summary>key + hash salt + index, or key + "rollout" when the flag has no salt.</summary>
    public string Salt { get; }

    public double Percentage { get; }

    /// <summary>A cohort gates this rollout: only remote evaluation knows who is in it.</summary>
    public bool IsCohortGated { get; private init; }

    /// <summary>The JsonLogic rule with its strings lower-cased; null when there is none.</summary>
    public object? Rule { get; private init; }

    /// <summary>The legacy rule: property name to expected value, compared as lower-cased text.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? LegacyRule { get; private init; }

    public string? VariantOverride { get; private init; }

    public IReadOnlyDictionary<string, double>? VariantSplits { get; private init; }

    public static FlagRollout Read(JsonElement rollout, string salt)
    {
        var percentage = rollout.TryGetProperty("rollout_percentage", out var share) && share.ValueKind == JsonValueKind.Number ? share.GetDouble() : double.NaN;
        object? rule = rollout.TryGetProperty("runtime_evaluation_rule", out var logic) ? JsConvert.FromJson(logic, false, true) : null;
        return new FlagRollout(salt, percentage)
        {
            IsCohortGated = rollout.TryGetProperty("cohort_hash", out var cohort) && cohort.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined),

            // As the official SDKs test it: a falsy rule (null, false, 0, "") is no rule.
            Rule = JsValues.Truthy(rule) ? rule : null,
            LegacyRule = ReadLegacy(rollout),
            VariantOverride = rollout.TryGetProperty("variant_override", out var forced) && forced.ValueKind == JsonValueKind.Object &&
                forced.TryGetProperty("key", out var forcedKey) && forcedKey.ValueKind == JsonValueKind.String ? forcedKey.GetString() : null,
            VariantSplits = ReadSplits(rollout),
        };
    }

    private static List<KeyValuePair<string, string>>? ReadLegacy(JsonElement rollout)
    {
        if (!rollout.TryGetProperty("runtime_evaluation_definition", out var definition) || definition.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var read = new List<KeyValuePair<string, string>>();
        foreach (var property in definition.EnumerateObject())
        {
            read.Add(new(property.Name, JsValues.ToLower(JsValues.ToStr(JsConvert.FromJson(property.Value, false, false)))));
        }

        return read;
    }

    private static Dictionary<string, double>? ReadSplits(JsonElement rollout)
    {
        if (!rollout.TryGetProperty("variant_splits", out var splits) || splits.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var read = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var split in splits.EnumerateObject())
        {
            read[split.Name] = split.Value.ValueKind == JsonValueKind.Number ? split.Value.GetDouble() : 0;
        }

        return read;
    }
}
