using System.Buffers;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.AspNetCore.Cookies;

/// <summary>
/// Writes the persistence cookie of Mixpanel's browser library (<c>mp_&lt;token&gt;_mixpanel</c>) as the library itself
/// would for a new anonymous visitor, so that the page's library adopts the server's device id when it starts instead of
/// making one of its own: with the default cookie persistence it reads the cookie as its own state, and with
/// <c>persistence: 'localStorage'</c> it copies a cookie it finds into local storage on its first start.
/// </summary>
internal static class BrowserCookie
{
    /// <summary>
    /// The cookie's value before URL encoding: the JSON the library keeps for an anonymous visitor,
    /// <c>distinct_id</c> <c>$device:&lt;id&gt;</c>, <c>$device_id</c> and, when known, the first-touch referrer.
    /// </summary>
    public static string Value(string deviceId, string? initialReferrer, string? initialReferringDomain)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("distinct_id"u8, DistinctIds.DevicePrefix + deviceId);
            writer.WriteString("$device_id"u8, deviceId);
            if (initialReferrer is not null)
            {
                writer.WriteString(MixpanelCookie.InitialReferrer, initialReferrer);
            }

            if (initialReferringDomain is not null)
            {
                writer.WriteString(MixpanelCookie.InitialReferringDomain, initialReferringDomain);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The <c>Domain</c> the library gives its cookie on a page at <paramref name="hostName"/> when its
    /// <c>cross_subdomain_cookie</c> option is on (the default): the site's registrable-looking domain with a leading dot
    /// (<c>.example.com</c> for <c>www.shop.example.com</c>), found by the library's own heuristic so that the server's
    /// cookie and the library's are one cookie, not two of the same name. Null for a host-only cookie: an IP address,
    /// <c>localhost</c>, or a name the heuristic finds no domain in.
    /// </summary>
    public static string? CrossSubdomainDomain(string? hostName)
    {
        if (string.IsNullOrEmpty(hostName))
        {
            return null;
        }

        var lastDot = hostName.LastIndexOf('.');
        var topLevel = hostName[(lastDot + 1)..];

        // For .com, .org and any top-level name over four letters the library takes the last two labels; for others it
        // allows a short second level (oxford.ac.uk) by taking one label and then up to six letters and dots.
        var simple = topLevel.Length > 4 || topLevel is "com" or "org";
        var domain = simple ? LastTwoLabels(hostName) : LabelAndShortSuffix(hostName);
        return domain is null ? null : "." + domain;
    }

    // A label ([a-z0-9][a-z0-9-]*), a dot and letters only, at the end of the name.
    private static string? LastTwoLabels(string host)
    {
        var end = host.Length;
        var letters = end;
        while (letters > 0 && char.IsAsciiLetter(host[letters - 1]))
        {
            letters--;
        }

        if (letters == end || letters == 0 || host[letters - 1] != '.')
        {
            return null;
        }

        var start = LabelStart(host, letters - 1, minimumLength: 1);
        return start < 0 ? null : host[start..];
    }

    // A label of at least two characters, a dot, then two to six letters and dots at the end of the name. The suffix is
    // taken as long as it can be, and the label before it as long as it can be, as a regular expression finds them.
    private static string? LabelAndShortSuffix(string host)
    {
        for (var suffixLength = Math.Min(6, host.Length); suffixLength >= 2; suffixLength--)
        {
            var suffixStart = host.Length - suffixLength;
            if (!IsLettersAndDots(host.AsSpan(suffixStart)))
            {
                continue;
            }

            // The dot that ends the label lies just before the suffix.
            if (suffixStart == 0 || host[suffixStart - 1] != '.')
            {
                continue;
            }

            var start = LabelStart(host, suffixStart - 1, minimumLength: 2);
            if (start >= 0)
            {
                return host[start..];
            }
        }

        return null;
    }

    // Where the label that ends just before host[dot] begins, if it is at least minimumLength long; the leftmost
    // possible start, as the regular expression's first match is found from the left.
    private static int LabelStart(string host, int dot, int minimumLength)
    {
        var start = dot;
        while (start > 0 && (char.IsAsciiLetterOrDigit(host[start - 1]) || host[start - 1] == '-'))
        {
            start--;
        }

        // The label's first character is a letter or digit, not a hyphen.
        while (start < dot && host[start] == '-')
        {
            start++;
        }

        return dot - start >= minimumLength ? start : -1;
    }

    private static bool IsLettersAndDots(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetter(c) && c != '.')
            {
                return false;
            }
        }

        return true;
    }
}
