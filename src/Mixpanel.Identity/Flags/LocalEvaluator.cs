namespace Mixpanel.Identity.Flags;

/// <summary>
/// A flag's variant for a context, decided in the process as Mixpanel's server SDKs decide it: the context value the
/// flag assigns by; a QA tester's variant; else the first rollout whose bucket and runtime rule admit the context,
/// then its forced variant or the variant whose cumulative split passes the context's variant bucket. Pure.
/// </summary>
internal static class LocalEvaluator
{
    private const string ObjectText = "[object Object]";

    public static FlagAssignment Evaluate(FlagDefinition? flag, MixpanelFlagContext context)
    {
        if (flag is null)
        {
            return FlagAssignment.Fallback(MixpanelFlagFallbackReason.FlagNotFound);
        }

        if (ContextValue(flag.ContextKey, context) is not { } value)
        {
            return FlagAssignment.Fallback(MixpanelFlagFallbackReason.MissingContextKey);
        }

        if (flag.TestUsers is { } testers && testers.TryGetValue(context.DistinctId, out var testerVariant) &&
            flag.FindVariant(testerVariant) is { } forTester)
        {
            return new FlagAssignment(forTester, IsQaTester: true, Reason: null);
        }

        RuleData? data = null;
        foreach (var rollout in flag.Rollouts)
        {
            // A cohort is known to Mixpanel only: opening the rollout to everyone would show it to people outside it.
            if (rollout.IsCohortGated || !(FlagHash.Normalized(value, rollout.Salt) < rollout.Percentage))
            {
                continue;
            }

            data ??= new RuleData(context);
            if (Admits(rollout, data))
            {
                return new FlagAssignment(AssignVariant(flag, rollout, value), IsQaTester: false, Reason: null);
            }
        }

        return FlagAssignment.Fallback(MixpanelFlagFallbackReason.NoRolloutMatch);
    }

    /// <summary>The text the flag's context key has in <paramref name="context"/>, as the SDKs send the context; null when absent.</summary>
    public static string? ContextValue(string contextKey, MixpanelFlagContext context) => contextKey switch
    {
        "distinct_id" => context.DistinctId,
        "device_id" => context.DeviceId,
        "custom_properties" => context.CustomProperties.Count > 0 ? ObjectText : null,
        _ => context.Groups.TryGetValue(contextKey, out var group) ? group : null,
    };

    private static FlagVariant? AssignVariant(FlagDefinition flag, FlagRollout rollout, string value)
    {
        if (rollout.VariantOverride is { } forced && flag.FindVariant(forced) is { } overridden)
        {
            return overridden;
        }

        var bucket = FlagHash.Normalized(value, flag.VariantSalt);
        FlagVariant? selected = null;
        var cumulative = 0.0;
        foreach (var variant in flag.Variants)
        {
            selected = variant;
            cumulative += rollout.VariantSplits is { } splits && splits.TryGetValue(variant.Key, out var split) ? split : variant.Split;
            if (bucket < cumulative)
            {
                break;
            }
        }

        return selected;
    }

    private static bool Admits(FlagRollout rollout, RuleData data)
    {
        if (rollout.Rule is { } rule)
        {
            try
            {
                return JsValues.Truthy(JsonLogic.Apply(rule, data.Properties));
            }
            catch (JsonLogicException)
            {
                return false;
            }
        }

        if (rollout.LegacyRule is { } legacy)
        {
            if (data.Properties is not JsObject properties)
            {
                return false;
            }

            foreach (var expected in legacy)
            {
                if (!properties.TryGetValue(expected.Key, out var actual) ||
                    !string.Equals(JsValues.ToLower(JsValues.ToStr(actual)), expected.Value, StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The custom properties as the rules read them, lower-cased once per evaluation and only if a rule is reached.</summary>
    private sealed class RuleData(MixpanelFlagContext context)
    {
        private object? _properties;
        private bool _read;

        public object? Properties
        {
            get
            {
                if (!_read)
                {
                    _properties = context.CustomProperties.Count > 0 ? JsConvert.FromClr(context.CustomProperties, lowercase: true) : null;
                    _read = true;
                }

                return _properties;
            }
        }
    }
}

/// <summary>The outcome of a local evaluation: a variant (and whether a QA tester got it), or why none.</summary>
internal readonly record struct FlagAssignment(FlagVariant? Variant, bool IsQaTester, MixpanelFlagFallbackReason? Reason)
{
    public static FlagAssignment Fallback(MixpanelFlagFallbackReason reason) => new(null, false, reason);
}
