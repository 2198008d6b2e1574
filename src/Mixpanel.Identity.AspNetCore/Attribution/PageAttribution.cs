using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Requests;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.AspNetCore.Attribution;

/// <summary>
/// Where a request's page is and how the visitor came to it: <c>$current_url</c>, <c>$referrer</c>,
/// <c>$referring_domain</c>, and the campaign parameters and click ids of the URL, as Mixpanel's browser library
/// records them on every event. Immutable; made by <see cref="FromRequest"/> or <see cref="Parse"/>.
/// </summary>
internal sealed class PageAttribution
{
    public const string CurrentUrlProperty = "$current_url";
    public const string ReferrerProperty = "$referrer";
    public const string ReferringDomainProperty = "$referring_domain";

    /// <summary>The library's first touch of a visit without a referrer.</summary>
    public const string Direct = "$direct";

    /// <summary>
    /// Characters of a URL read: Kestrel's default limit on a request line is 8 KiB, and a <c>Referer</c> is a URL
    /// too. Text beyond it is ignored.
    /// </summary>
    public const int MaxUrlLength = 8 * 1024;

    private PageAttribution(string? currentUrl, string? referrer, string? referringDomain, IReadOnlyList<KeyValuePair<string, string>> marketing)
    {
        CurrentUrl = currentUrl;
        Referrer = referrer;
        ReferringDomain = referringDomain;
        Marketing = marketing;
    }

    /// <summary>The page's full URL, cut to Mixpanel's 255 characters; null when unknown.</summary>
    public string? CurrentUrl { get; }

    /// <summary>The <c>Referer</c> URL, cut to 255 characters; null when the request has none.</summary>
    public string? Referrer { get; }

    /// <summary>The host (with any port) of the referrer; null when there is none.</summary>
    public string? ReferringDomain { get; }

    /// <summary>The <c>utm_*</c> parameters and click ids of the page URL that have a value, in the library's order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Marketing { get; }

    /// <summary>Reads the request's URL (after any forwarded-headers middleware) and its first <c>Referer</c>.</summary>
    public static PageAttribution FromRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var referrers = request.Headers.Referer;
        return Parse(CurrentUrlOf(request), referrers.Count > 0 ? referrers[0] : null);
    }

    /// <summary>Reads a page URL and a referrer as given; only the first <see cref="MaxUrlLength"/> characters of each.</summary>
    public static PageAttribution Parse(string? currentUrl, string? referrer)
    {
        var url = Bounded(currentUrl);
        var from = Bounded(referrer);
        return new PageAttribution(
            url.IsEmpty ? null : JsonValues.Truncate(url).ToString(),
            from.IsEmpty ? null : JsonValues.Truncate(from).ToString(),
            ReferringDomainOf(from),
            MarketingParameters.Read(url));
    }

    /// <summary>
    /// Sets <c>$current_url</c>, <c>$referrer</c>, <c>$referring_domain</c> and the marketing parameters that are
    /// known. As in the browser library, a visit without a referrer has no <c>$referrer</c> on its events; only the
    /// initial referrer says <c>$direct</c>.
    /// </summary>
    public void WriteTo(IDictionary<string, object?> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        SetIfKnown(properties, CurrentUrlProperty, CurrentUrl);
        SetIfKnown(properties, ReferrerProperty, Referrer);
        SetIfKnown(properties, ReferringDomainProperty, ReferringDomain);
        foreach (var (name, value) in Marketing)
        {
            properties[name] = value;
        }
    }

    // The Host header as the client sent it, not request.Host: a host such as "xn--zz" passes Kestrel's checks but
    // makes HostString (and so GetEncodedUrl) throw. Browsers send the ASCII form, which is what location.href shows.
    private static string CurrentUrlOf(HttpRequest request) =>
        $"{request.Scheme}://{RequestHost.HeaderOf(request)}{request.PathBase.ToUriComponent()}{request.Path.ToUriComponent()}{request.QueryString.ToUriComponent()}";

    // The browser library takes the third '/'-separated part of the referrer: the authority of an absolute URL.
    private static string? ReferringDomainOf(ReadOnlySpan<char> referrer)
    {
        var first = referrer.IndexOf('/');
        if (first < 0)
        {
            return null;
        }

        var second = referrer[(first + 1)..].IndexOf('/');
        if (second < 0)
        {
            return null;
        }

        var rest = referrer[(first + second + 2)..];
        var end = rest.IndexOf('/');
        var domain = end < 0 ? rest : rest[..end];
        return domain.IsEmpty ? null : JsonValues.Truncate(domain).ToString();
    }

    private static ReadOnlySpan<char> Bounded(string? text) =>
        text is null ? [] : text.AsSpan(0, Math.Min(text.Length, MaxUrlLength)).Trim();

    private static void SetIfKnown(IDictionary<string, object?> properties, string name, string? value)
    {
        if (value is not null)
        {
            properties[name] = value;
        }
    }
}
