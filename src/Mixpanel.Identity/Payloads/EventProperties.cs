using System.Globalization;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// The automatic properties an app may set on one event itself (<c>time</c>, <c>$insert_id</c>, <c>distinct_id</c>),
/// checked at the call so that a bad value is the app's <see cref="ArgumentException"/>, not a rejected batch later.
/// </summary>
internal static class EventProperties
{
    /// <summary>Whether <paramref name="eventName"/> is an event name Mixpanel takes: not empty, not white space, well-formed text.</summary>
    public static bool IsValidName(string? eventName) => !string.IsNullOrWhiteSpace(eventName) && WellFormedText.IsWellFormed(eventName!);

    /// <summary>Throws unless <paramref name="eventName"/> is an event name Mixpanel takes: not empty, not white space, well-formed text.</summary>
    public static void RequireName(string eventName, string paramName)
    {
        Guard.NotNull(eventName, paramName);
        if (string.IsNullOrWhiteSpace(eventName))
        {
            throw new ArgumentException("An event name must not be empty or white space.", paramName);
        }

        WellFormedText.Require(eventName, "The event name", paramName);
    }

    /// <summary>Validates the overridable automatic properties; returns the event time to use.</summary>
    public static PropertyMap ApplyOverrides(PropertyMap properties, string paramName, ref long timeMilliseconds)
    {
        // One look at each key finds the four the call may set (most calls set none), then they are checked in turn.
        int insertIdIndex = -1, tokenIndex = -1, distinctIdIndex = -1, timeIndex = -1;
        var items = properties.Items;
        for (var i = 0; i < items.Length; i++)
        {
            switch (items[i].Key)
            {
                case ReservedNames.InsertId:
                    insertIdIndex = i;
                    break;
                case ReservedNames.Token:
                    tokenIndex = i;
                    break;
                case ReservedNames.DistinctId:
                    distinctIdIndex = i;
                    break;
                case ReservedNames.Time:
                    timeIndex = i;
                    break;
            }
        }

        if (insertIdIndex >= 0 && !IsValidInsertId(items[insertIdIndex].Value))
        {
            throw new ArgumentException(
                $"'$insert_id' must be a string of at most {MixpanelLimits.MaxInsertIdLength} characters from [A-Za-z0-9-].", paramName);
        }

        if (tokenIndex >= 0 && items[tokenIndex].Value is not string { Length: > 0 })
        {
            throw new ArgumentException("'token' must be a non-empty string: it names the Mixpanel project the event goes to.", paramName);
        }

        if (distinctIdIndex >= 0 &&
            (items[distinctIdIndex].Value is not string id || !DistinctIds.IsAcceptableDistinctId(id)))
        {
            throw new ArgumentException("'distinct_id' must be a non-empty string id, and not a placeholder such as 'null' or 'anonymous'.", paramName);
        }

        if (timeIndex < 0)
        {
            return properties;
        }

        timeMilliseconds = ToMilliseconds(items[timeIndex].Value)
            ?? throw new ArgumentException("'time' must be a DateTime, a DateTimeOffset, or seconds or milliseconds since the Unix epoch.", paramName);

        var copy = items.ToArray();
        copy[timeIndex] = new KeyValuePair<string, object?>(ReservedNames.Time, timeMilliseconds);
        return new PropertyMap(copy);
    }

    public static bool IsValidInsertId(object? value)
    {
        if (value is not string text || text.Length is 0 or > MixpanelLimits.MaxInsertIdLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static long? ToMilliseconds(object? value)
    {
        switch (value)
        {
            case DateTimeOffset date:
                return date.ToUnixTimeMilliseconds();
            case DateTime date:
                return new DateTimeOffset(date.Kind == DateTimeKind.Local ? date.ToUniversalTime() : DateTime.SpecifyKind(date, DateTimeKind.Utc))
                    .ToUnixTimeMilliseconds();
            case double or float or decimal:
                var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                return number < 0 ? null : number < MixpanelLimits.SecondsThreshold ? (long)Math.Round(number * 1000) : (long)number;
            case int or long or short or uint or ushort or ulong or byte or sbyte:
                var whole = Convert.ToDecimal(value, CultureInfo.InvariantCulture);
                return whole < 0 || whole > long.MaxValue ? null : whole < MixpanelLimits.SecondsThreshold ? (long)whole * 1000 : (long)whole;
            default:
                return null;
        }
    }
}
