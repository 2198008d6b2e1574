using System.Diagnostics.CodeAnalysis;

namespace Mixpanel.Identity;

/// <summary>Mixpanel's ingestion hosts, one per data-residency region. Pass one as <see cref="MixpanelOptions.ApiHost"/>.</summary>
public static class MixpanelApiHosts
{
    /// <summary>The United States data center, <c>https://api.mixpanel.com</c> (the default).</summary>
    public static Uri UnitedStates { get; } = new("https://api.mixpanel.com/");

    /// <summary>The European Union data center, <c>https://api-eu.mixpanel.com</c>. EU-resident projects must send here.</summary>
    public static Uri EuropeanUnion { get; } = new("https://api-eu.mixpanel.com/");

    /// <summary>The India data center, <c>https://api-in.mixpanel.com</c>.</summary>
    public static Uri India { get; } = new("https://api-in.mixpanel.com/");

    /// <summary>
    /// Reads a host from configuration: a region name (<c>US</c>, <c>EU</c>, <c>IN</c>/<c>India</c>) or an absolute URI
    /// (your own proxy). Returns false for anything else.
    /// </summary>
    /// <param name="value">The configured text.</param>
    /// <param name="host">The host, when the text names one.</param>
    public static bool TryParse(string? value, [NotNullWhen(true)] out Uri? host)
    {
        host = value?.Trim().ToUpperInvariant() switch
        {
            "US" or "USA" or "UNITEDSTATES" => UnitedStates,
            "EU" or "EUROPE" or "EUROPEANUNION" => EuropeanUnion,
            "IN" or "INDIA" => India,
            _ => Uri.TryCreate(value?.Trim(), UriKind.Absolute, out var uri) ? uri : null,
        };
        return host is not null;
    }
}
