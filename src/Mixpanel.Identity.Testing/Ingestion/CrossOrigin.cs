using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// CORS, so that pages can send from the browser the way Mixpanel's browser library does: it sends XHRs with credentials
/// (its opt-out cookie), which a browser lets through only when the answer names the page's origin (never <c>*</c>) and
/// allows credentials. Any origin is allowed, as Mixpanel's ingestion API allows any.
/// </summary>
internal static class CrossOrigin
{
    /// <summary>The methods the ingestion endpoints take.</summary>
    public const string Methods = "GET, POST, OPTIONS";

    /// <summary>Adds the CORS headers for the request's origin, if it has one. Called for every answer.</summary>
    public static void Allow(HttpRequest request, HttpResponse response)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return;
        }

        response.Headers.AccessControlAllowOrigin = origin;
        response.Headers.AccessControlAllowCredentials = "true";
        response.Headers.AccessControlExposeHeaders = "Retry-After";
        response.Headers.Vary = "Origin";
    }

    /// <summary>Adds what a preflight (an <c>OPTIONS</c> request) asks to be told: the methods and headers allowed.</summary>
    public static void AnswerPreflight(HttpRequest request, HttpResponse response)
    {
        response.Headers.Allow = Methods;
        if (request.Headers.Origin.Count == 0)
        {
            return;
        }

        response.Headers.AccessControlAllowMethods = Methods;
        if (request.Headers.AccessControlRequestHeaders.ToString() is { Length: > 0 } headers)
        {
            response.Headers.AccessControlAllowHeaders = headers;
        }

        response.Headers.AccessControlMaxAge = "600";

        // Chromium asks before a page on a public address reaches a loopback one (Private Network Access).
        if (string.Equals(request.Headers["Access-Control-Request-Private-Network"], "true", StringComparison.OrdinalIgnoreCase))
        {
            response.Headers["Access-Control-Allow-Private-Network"] = "true";
        }
    }
}
