namespace Mixpanel.Identity.Testing;

internal enum IdentityOutcome
{
    None,
    Linked,
    Ignored,
    RefusedAtLimit,
}

/// <summary>What one record did to the identity graph when Mixpanel processed it.</summary>
internal sealed class IdentityEffect
{
    internal static readonly IdentityEffect None = new(IdentityOutcome.None, note: "");

    internal IdentityEffect(
        IdentityOutcome outcome,
        string note,
        string? explanation = null,
        string? target = null,
        string? subject = null,
        int clusterSize = 0)
    {
        Outcome = outcome;
        Note = note;
        Explanation = explanation;
        Target = target;
        Subject = subject;
        ClusterSize = clusterSize;
    }

    internal IdentityOutcome Outcome { get; }

    /// <summary>A short note for the timeline; empty if there is nothing to say.</summary>
    internal string Note { get; }

    /// <summary>For ignored and refused records: what Mixpanel does and why, for the finding.</summary>
    internal string? Explanation { get; }

    /// <summary>The id whose cluster was (or would have been) joined.</summary>
    internal string? Target { get; }

    /// <summary>The id that joined (or could not join) the target's cluster.</summary>
    internal string? Subject { get; }

    /// <summary>The size of the target's cluster after a link.</summary>
    internal int ClusterSize { get; }

    internal static IdentityEffect Noted(string note) => new(IdentityOutcome.None, note);

    internal static IdentityEffect Ignored(string note, string explanation) => new(IdentityOutcome.Ignored, note, explanation);
}
