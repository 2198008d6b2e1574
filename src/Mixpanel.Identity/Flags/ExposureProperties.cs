namespace Mixpanel.Identity.Flags;

/// <summary>The properties of <c>$experiment_started</c>, as Mixpanel's SDKs send them; never made for a fallback.</summary>
internal static class ExposureProperties
{
    public const string EventName = "$experiment_started";

    public static Dictionary<string, object?> For(string flagKey, MixpanelFlagVariant variant, string? evaluationMode, long? latencyMilliseconds)
    {
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["Experiment name"] = flagKey,
            ["Variant name"] = variant.Key,
            ["$experiment_type"] = "feature_flag",
        };
        if (evaluationMode is not null)
        {
            properties["Flag evaluation mode"] = evaluationMode;
        }

        if (latencyMilliseconds is { } latency)
        {
            properties["Variant fetch latency (ms)"] = latency;
        }

        if (variant.ExperimentId is { } experimentId)
        {
            properties["$experiment_id"] = experimentId;
        }

        if (variant.IsExperimentActive is { } active)
        {
            properties["$is_experiment_active"] = active;
        }

        if (variant.IsQaTester is { } tester)
        {
            properties["$is_qa_tester"] = tester;
        }

        return properties;
    }
}
