using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.AspNetCore.Geolocation;

/// <summary>
/// The address of the client that sent a request, for Mixpanel to geolocate the event by. Without it Mixpanel
/// places every server-side event where the server is (its server-side best practices: set the <c>ip</c> property).
/// </summary>
/// <remarks>
/// Only <see cref="ConnectionInfo.RemoteIpAddress"/> is read, never <c>X-Forwarded-For</c>: any client can write
/// that header, and only the app knows which proxies to trust. Behind a proxy, the app's <c>UseForwardedHeaders</c>
/// with its known proxies sets the remote address.
/// </remarks>
internal static class ClientIpAddress
{
    public static string? From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Format(context.Connection.RemoteIpAddress);
    }

    /// <summary>
    /// The address as text Mixpanel reads: an IPv4 client on a dual-stack socket (<c>::ffff:203.0.113.7</c>) as
    /// plain IPv4, and an IPv6 address without its zone (<c>%eth0</c>), which means nothing off the server.
    /// </summary>
    public static string? Format(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            return new IPAddress(address.GetAddressBytes()).ToString();
        }

        return address.ToString();
    }
}
