using System.Net;
using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.AspNetCore.Requests;

/// <summary>
/// The host a request was sent to, read from its <c>Host</c> header as the browser wrote it (after any forwarded-headers
/// middleware), not from <see cref="HttpRequest.Host"/>, whose conversions throw for some hosts Kestrel lets through.
/// </summary>
internal static class RequestHost
{
    /// <summary>The host name without its port, as the page's <c>location.hostname</c> shows it (<c>[::1]</c> keeps its brackets); null when there is none.</summary>
    public static string? NameOf(HttpRequest request)
    {
        var host = HeaderOf(request);
        if (string.IsNullOrEmpty(host))
        {
            return null;
        }

        // An IPv6 literal ends at its bracket; otherwise a port follows the only colon.
        var portColon = host.StartsWith('[') ? host.IndexOf("]:", StringComparison.Ordinal) + 1 : host.LastIndexOf(':');
        return portColon > 0 ? host[..portColon] : host;
    }

    /// <summary>The <c>Host</c> header as the browser wrote it, port and all; null when there is none.</summary>
    public static string? HeaderOf(HttpRequest request) => request.Headers.Host.Count > 0 ? request.Headers.Host[0] : null;

    /// <summary>Whether the site is served on this machine: <c>localhost</c> (and its subdomains) or a loopback address.</summary>
    public static bool IsLoopback(string? hostName)
    {
        if (hostName is null)
        {
            return false;
        }

        if (hostName.Equals("localhost", StringComparison.OrdinalIgnoreCase) || hostName.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var literal = hostName.StartsWith('[') && hostName.EndsWith(']') ? hostName[1..^1] : hostName;
        return IPAddress.TryParse(literal, out var address) && IPAddress.IsLoopback(address);
    }
}
