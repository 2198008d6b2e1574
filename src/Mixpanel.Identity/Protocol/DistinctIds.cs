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

    // The refusal's text alone: an ArgumentException names its parameter in its message only when it has one.
    private static readonly string IllFormed = WellFormedText.Refusal("The id", paramName: "").Message;

    public static string ForDevice(string deviceId) => DevicePrefix + deviceId;

    /// <summary>Whether Mixpanel treats <paramref name="id"/> as a placeholder rather than an id.</summary>
    public static bool IsPlaceholder(string id) => Invalid.Contains(id.Trim());

    /// <summary>Whether Mixpanel keeps <paramref name="id"/> as an event's <c>distinct_id</c>: not blank, not a placeholder, not too long.</summary>
    public static bool IsAcceptableDistinctId(string id) => !string.IsNullOrWhiteSpace(id) && !IsPlaceholder(id) && id.Length <= MaxLength;

    /// <summary>Whether <paramref name="id"/> can identify a user (what <see cref="ValidateUserId"/> accepts).</summary>
    public static bool IsValidUserId(string id) => Problem(id) is null;

    /// <summary>Throws an <see cref="ArgumentException"/> unless <paramref name="id"/> can identify a user.</summary>
    public static void ValidateUserId(string? id, string paramName)
    {
        if (Problem(id) is { } problem)
        {
            throw id is null ? new ArgumentNullException(paramName, problem) : new ArgumentException(problem, paramName);
        }
    }

    /// <summary>Why <paramref name="id"/> cannot identify a user; <see langword="null"/> when it can.</summary>
    public static string? Problem(string? id)
    {
        if (id is null)
        {
            return "An id must not be null.";
        }

        if (string.IsNullOrWhiteSpace(id))
        {
            return "An id must not be empty or white space.";
        }

        if (id.StartsWith(DevicePrefix, StringComparison.Ordinal))
        {
            return $"An id must not start with '{DevicePrefix}': that prefix marks the anonymous id the client makes from the " +
                "device id.";
        }

        if (IsPlaceholder(id))
        {
            return $"'{id}' is a placeholder Mixpanel rejects as a distinct id. Pass the user's stable id (a database key).";
        }

        if (id.Length > MaxLength)
        {
            return $"An id must be at most {MaxLength} characters.";
        }

        if (char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[id.Length - 1]))
        {
            return $"An id must not start or end with white space: '{id}' and '{id.Trim()}' would be two different people in Mixpanel.";
        }

        return WellFormedText.IsWellFormed(id) ? null : IllFormed;
    }
}
