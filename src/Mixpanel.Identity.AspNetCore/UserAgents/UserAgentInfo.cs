using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.AspNetCore.UserAgents;

/// <summary>
/// What a user agent says about the browser that sent a request, named as Mixpanel's browser library names it.
/// A value the user agent does not tell is null; for a crawler only <see cref="Browser"/> (the crawler's name) and
/// its version are given, because the OS and device a crawler claims are a disguise.
/// </summary>
internal readonly record struct UserAgentInfo(string? Browser, double? BrowserVersion, string? Os, string? Device, bool IsCrawler)
{
    public const string BrowserProperty = "$browser";
    public const string BrowserVersionProperty = "$browser_version";
    public const string DeviceProperty = "$device";

    /// <summary>Sets the properties this user agent gives; a property it does not tell is left as it is.</summary>
    public void WriteTo(IDictionary<string, object?> properties)
    {
        SetIfKnown(properties, BrowserProperty, Browser);
        if (BrowserVersion is { } version)
        {
            properties[BrowserVersionProperty] = version;
        }

        SetIfKnown(properties, ReservedNames.OperatingSystem, Os);
        SetIfKnown(properties, DeviceProperty, Device);
    }

    private static void SetIfKnown(IDictionary<string, object?> properties, string name, string? value)
    {
        if (value is not null)
        {
            properties[name] = value;
        }
    }
}
