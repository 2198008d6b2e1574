namespace Mixpanel.Identity.Payloads;

/// <summary>The operations of Mixpanel's profile (<c>/engage</c>, <c>/groups</c>) API; one per update record.</summary>
internal enum ProfileOperation
{
    Set,
    SetOnce,
    Add,
    Append,
    Union,
    Remove,
    Unset,
    Delete,
}

/// <summary>
/// One profile operation and its validated payload: a <see cref="PropertyMap"/> for every operation but
/// <see cref="ProfileOperation.Unset"/> (a <see cref="PropertyList"/> of names) and <see cref="ProfileOperation.Delete"/>
/// (no payload).
/// </summary>
internal sealed class ProfileUpdate
{
    public ProfileUpdate(ProfileOperation operation, object? payload)
    {
        Operation = operation;
        Payload = payload;
    }

    public ProfileOperation Operation { get; }

    public object? Payload { get; }

    public static string WireName(ProfileOperation operation) => operation switch
    {
        ProfileOperation.Set => "$set",
        ProfileOperation.SetOnce => "$set_once",
        ProfileOperation.Add => "$add",
        ProfileOperation.Append => "$append",
        ProfileOperation.Union => "$union",
        ProfileOperation.Remove => "$remove",
        ProfileOperation.Unset => "$unset",
        ProfileOperation.Delete => "$delete",
        _ => throw new ArgumentOutOfRangeException(nameof(operation)),
    };

    public static bool TryParseWireName(string? name, out ProfileOperation operation)
    {
        for (var candidate = ProfileOperation.Set; candidate <= ProfileOperation.Delete; candidate++)
        {
            if (string.Equals(WireName(candidate), name, StringComparison.Ordinal))
            {
                operation = candidate;
                return true;
            }
        }

        operation = default;
        return false;
    }
}
