namespace Mixpanel.Identity.Testing;

/// <summary>One problem found in the records, with the records that cause it.</summary>
public sealed class IdentityFinding
{
    internal IdentityFinding(IdentityFindingKind kind, string message, IReadOnlyList<ReceivedRecord> records)
    {
        Kind = kind;
        Message = message;
        Records = records;
    }

    /// <summary>What the finding is about.</summary>
    public IdentityFindingKind Kind { get; }

    /// <summary>What happens in Mixpanel and what to change, in plain words.</summary>
    public string Message { get; }

    /// <summary>The records that cause it, in the order Mixpanel processed them.</summary>
    public IReadOnlyList<ReceivedRecord> Records { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind}: {Message}";
}
