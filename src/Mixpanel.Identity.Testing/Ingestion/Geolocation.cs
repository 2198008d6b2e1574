using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The address Mixpanel would geolocate a record from. Mixpanel keeps no address, only the city, region and country it
/// derives; the local server records the address itself, so a test can see which one Mixpanel would use.
/// </summary>
internal static class Geolocation
{
    /// <summary>
    /// The address the request comes from, as Mixpanel sees it: the first <c>X-Forwarded-For</c> entry when there is one (the
    /// header Mixpanel's proxy guide has a proxy set, so that users are located rather than the proxy), else the
    /// connection's remote address.
    /// </summary>
    public static string? ClientAddress(HttpContext context)
    {
        var forwarded = context.Request.Headers["X-Forwarded-For"].ToString();
        if (forwarded.Length > 0)
        {
            var first = forwarded.AsSpan();
            var comma = first.IndexOf(',');
            first = (comma < 0 ? first : first[..comma]).Trim();
            if (!first.IsEmpty)
            {
                return first.ToString();
            }
        }

        var remote = context.Connection.RemoteIpAddress;
        return remote is null ? null : (remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote).ToString();
    }

    /// <summary>
    /// The address a record is geolocated from. Events: their <c>ip</c> property, else the request's address when the request
    /// says <c>ip=1</c>. Profile and group updates: their <c>$ip</c>, else the request's address unless the request says
    /// <c>ip=0</c> (Mixpanel locates profile updates by the request by default). An <c>ip</c> or <c>$ip</c> of 0 turns it off.
    /// </summary>
    /// <remarks>
    /// Mixpanel's pages disagree on an event that carries <c>ip</c> and is sent with <c>ip=1</c>: the geolocation guide says
    /// the property is used instead of the request's address, the reserved-properties page that the property is used only
    /// when <c>ip=1</c> is not set. The property wins here, as the geolocation guide has it.
    /// </remarks>
    public static string? AddressOf(JsonElement record, MixpanelEndpoint endpoint, IpParameter ip, string? clientAddress)
    {
        var isEvent = endpoint is MixpanelEndpoint.Track or MixpanelEndpoint.Import;
        var holder = isEvent
            ? record.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object ? properties : default
            : record;
        if (holder.ValueKind == JsonValueKind.Object && holder.TryGetProperty(isEvent ? "ip" : "$ip", out var given))
        {
            switch (given.ValueKind)
            {
                case JsonValueKind.String when given.ValueEquals("0"):
                case JsonValueKind.Number when given.TryGetDouble(out var number) && number == 0:
                    return null;
                case JsonValueKind.String when IPAddress.TryParse(given.GetString(), out _):
                    return given.GetString();
            }
        }

        var fromRequest = isEvent ? ip == IpParameter.On : ip != IpParameter.Off;
        return fromRequest ? clientAddress : null;
    }
}
