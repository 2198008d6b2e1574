using Mixpanel.Identity.AspNetCore.Text;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.AspNetCore.Attribution;

/// <summary>
/// The campaign parameters (<c>utm_*</c>) and ad click ids that Mixpanel's browser library adds to every event by
/// default (its <c>track_marketing</c> option), read from a page URL the way it reads them.
/// </summary>
internal static class MarketingParameters
{
    /// <summary>Names in the library's order: campaign keywords, then click ids.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "utm_id", "utm_source_platform",
        "utm_campaign_id", "utm_creative_format", "utm_marketing_tactic",
        "dclid", "fbclid", "gclid", "ko_click_id", "li_fat_id", "msclkid", "sccid", "ttclid", "twclid", "wbraid",
    ];

    /// <summary>
    /// The parameters <paramref name="url"/> carries with a non-empty value, in <see cref="Names"/> order. As in the
    /// browser library, the first <c>name=</c> after any <c>?</c> or <c>&amp;</c> counts, names are case-sensitive,
    /// the value is decoded with <c>decodeURIComponent</c> (kept as written when that fails) and then every <c>+</c>
    /// becomes a space, so server and browser events of one campaign carry the same value. Values are cut to 255
    /// characters.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Read(ReadOnlySpan<char> url)
    {
        if (url.IndexOfAny('?', '&') < 0)
        {
            return [];
        }

        List<KeyValuePair<string, string>>? found = null;
        foreach (var name in Names)
        {
            var raw = FirstValue(url, name);
            if (raw.IsEmpty)
            {
                continue;
            }

            var value = UriComponent.TryDecode(raw, out var decoded) ? decoded : raw.ToString();
            found ??= [];
            found.Add(new(name, JsonValues.TruncateToString(value.Replace('+', ' '))));
        }

        return found is null ? [] : found;
    }

    private static ReadOnlySpan<char> FirstValue(ReadOnlySpan<char> url, string name)
    {
        var offset = 0;
        while (offset < url.Length)
        {
            var found = url[offset..].IndexOfAny('?', '&');
            if (found < 0)
            {
                break;
            }

            var start = offset + found + 1;
            var rest = url[start..];
            if (rest.StartsWith(name, StringComparison.Ordinal) && rest.Length > name.Length && rest[name.Length] == '=')
            {
                var value = rest[(name.Length + 1)..];
                var end = value.IndexOfAny('&', '#');
                return end < 0 ? value : value[..end];
            }

            offset = start;
        }

        return [];
    }
}
