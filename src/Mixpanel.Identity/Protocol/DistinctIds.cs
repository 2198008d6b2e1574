namespace Mixpanel.Identity.Protocol;

/// <summary>The rules a distinct id (user id, alias) must meet before the client will send it.</summary>
internal static class DistinctIds
{
    /// <summary>The prefix of the anonymous distinct id the client makes from the device id.</summary>
    public const string DevicePrefix = "$device:";

    /// <summary>Longest id the client accepts: longer strings would be truncated to 255 characters and change identity.</summary>
    public const int MaxLength = 255;

    /// <summary>
    /// Placeholder values Mixpanel rejects as distinct ids (ingestion API reference), compared case-insensitively.
    /// </summary>
    public static readonly IReadOnlyList<string> Placeholders =
    [
        "00000000-0000-0000-0000-000000000000", "anon", "anonymous", "nil", "none", "null", "n/a", "na", "undefined",
        "unknown", "<nil>", "0", "-1", "true", "false", "[]", "{}",
    ];

    private static readonly HashSet<string> Invalid = new(Placeholders, StringComparer.OrdinalIgnoreCase);

    public static string ForDevice(string deviceId) => DevicePrefix + deviceId;

    /// <summary>Whether Mixpanel treats <paramref name="id"/> as a placeholder rather than an id.</summary>
    public static bool IsPlaceholder(string id) => Invalid.Contains(id.Trim());

    /// <summary>Whether <paramref name="id"/> can identify a user (what <see cref="ValidateUserId"/> accepts).</summary>
    public static bool IsValidUserId(string id)
    {
        try
        {
            ValidateUserId(id, nameof(id));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="id"/> can identify a user.</summary>
    public static void ValidateUserId(string? id, string paramName)
    {
        if (id is null)
        {
            throw new ArgumentNullException(paramName, "An id must not be null.");
        }

        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ArgumentException("An id must not be empty or white space.", paramName);
        }

        if (id.StartsWith(DevicePrefix, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"An id must not start with '{DevicePrefix}': that prefix marks the anonymous id the client makes from the device id.",
                paramName);
        }

        if (IsPlaceholder(id))
        {
            throw new ArgumentException(
                $"'{id}' is a placeholder Mixpanel rejects as a distinct id. Pass the user's stable id (a database key).", paramName);
        }

        if (id.Length > MaxLength)
        {
            throw new ArgumentException($"An id must be at most {MaxLength} characters.", paramName);
        }

        if (char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[id.Length - 1]))
        {
            throw new ArgumentException(
                "An id must not start or end with white space: ' u1' and 'u1' would be two different people in Mixpanel.", paramName);
        }

        WellFormedText.Require(id, "The id", paramName);
    }
}
