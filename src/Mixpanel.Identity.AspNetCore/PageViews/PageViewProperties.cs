using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Requests;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.AspNetCore.PageViews;

/// <summary>
/// The page properties of a page view, named as Mixpanel's browser library names those of its <c>$mp_web_page_view</c>
/// (the page's <c>location</c> parts), so that reports treat server and browser page views alike. The page's title is
/// the browser's to know, and is left out; the full URL, referrer and campaign come with every event of the request.
/// </summary>
internal static class PageViewProperties
{
    public const string Domain = "current_domain";
    public const string Path = "current_url_path";
    public const string Protocol = "current_url_protocol";
    public const string Search = "current_url_search";

    public static Dictionary<string, object?> Of(HttpRequest request)
    {
        // As the library does, empty parts are left out.
        var properties = new Dictionary<string, object?>(4, StringComparer.Ordinal);
        if (RequestHost.NameOf(request) is { } host)
        {
            properties[Domain] = JsonValues.TruncateToString(host);
        }

        var path = request.PathBase.ToUriComponent() + request.Path.ToUriComponent();
        properties[Path] = path.Length > 0 ? JsonValues.TruncateToString(path) : "/";
        properties[Protocol] = request.Scheme + ":";
        if (request.QueryString.HasValue)
        {
            properties[Search] = JsonValues.TruncateToString(request.QueryString.ToUriComponent());
        }

        return properties;
    }
}
