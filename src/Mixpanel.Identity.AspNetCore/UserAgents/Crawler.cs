namespace Mixpanel.Identity.AspNetCore.UserAgents;

/// <summary>A crawler: the token that gives it away (lower case) and the name reported as <c>$browser</c>.</summary>
internal sealed class Crawler(string token, string name)
{
    public string Token { get; } = token;

    public string Name { get; } = name;

    /// <summary>The version after the token, as in <c>Googlebot/2.1</c> or <c>curl/8.4.0</c>; null when none follows.</summary>
    public double? VersionIn(ReadOnlySpan<char> userAgent)
    {
        if (Token.Length == 0)
        {
            return null;
        }

        var at = userAgent.IndexOf(Token, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }

        var rest = userAgent[(at + Token.Length)..];
        if (!Token.EndsWith('/'))
        {
            if (rest.IsEmpty || rest[0] != '/')
            {
                return null;
            }

            rest = rest[1..];
        }

        return VersionNumber.AtStart(rest);
    }
}
