namespace Mixpanel.Identity;

/// <summary>How <see cref="MixpanelServerClient"/> evaluates feature flags.</summary>
public enum MixpanelFlagsEvaluation
{
    /// <summary>Each evaluation asks Mixpanel (<c>/flags</c>): one request per call, and cohort targeting works.</summary>
    Remote,

    /// <summary>Evaluated in the process from definitions fetched at start and polled: no request per call, no cohorts.</summary>
    Local,
}

/// <summary>Where a flag's variant came from.</summary>
public enum MixpanelFlagSource
{
    /// <summary>The caller's fallback: see <see cref="MixpanelFlagVariant.FallbackReason"/>.</summary>
    Fallback,

    /// <summary>Evaluated in the process from the flag's definition.</summary>
    Local,

    /// <summary>Mixpanel's answer over the network.</summary>
    Remote,

    /// <summary>Mixpanel's last answer for this distinct id, read back from the device's storage.</summary>
    Persisted,
}

/// <summary>Why a fallback was returned.</summary>
public enum MixpanelFlagFallbackReason
{
    /// <summary>No flag has the key (or, remotely, the context is in none of its rollouts: Mixpanel does not say which).</summary>
    FlagNotFound,

    /// <summary>The context lacks the value the flag assigns by (a device id, a group).</summary>
    MissingContextKey,

    /// <summary>The context is in none of the flag's rollouts.</summary>
    NoRolloutMatch,

    /// <summary>Mixpanel could not be asked, or answered with an error.</summary>
    BackendError,

    /// <summary>The flags have not been fetched yet.</summary>
    NotReady,
}
