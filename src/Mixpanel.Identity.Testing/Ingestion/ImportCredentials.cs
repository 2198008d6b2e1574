using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// <c>/import</c>'s HTTP Basic authentication, as Mixpanel's import guide describes it: a service account (user name and
/// secret, with the <c>project_id</c> query parameter), the project's API secret as user name with an empty password, or the
/// project token as user name with an empty password and no <c>project_id</c>. Checked only when the server is configured
/// with a secret or a service account, so tests that do not care need no credentials.
/// </summary>
internal static class ImportCredentials
{
    // Credentials longer than this are not Mixpanel's: refused without decoding.
    private const int MaxEncodedLength = 2048;

    /// <summary>Why the request is refused; <see langword="null"/> when it may import.</summary>
    public static string? Refusal(HttpRequest request, RequestParameters parameters, LocalMixpanelServerOptions options)
    {
        var secret = options.ApiSecret;
        var accounts = options.ServiceAccounts;
        if (secret is null && accounts.Count == 0)
        {
            return null;
        }

        if (!TryReadBasic(request.Headers.Authorization.ToString(), out var user, out var password))
        {
            return "/import needs HTTP Basic credentials: a service account, or the project secret as user name";
        }

        if (password.Length == 0)
        {
            if (secret is not null && FixedTimeEquals(user, secret))
            {
                return null;
            }

            if (options.ProjectToken is { } token && parameters.ProjectId is null && FixedTimeEquals(user, token))
            {
                return null;
            }

            return "Invalid credentials: the user name is not the project secret";
        }

        if (!accounts.TryGetValue(user, out var accountSecret) || !FixedTimeEquals(password, accountSecret))
        {
            return "Invalid credentials: no service account has this user name and secret";
        }

        if (parameters.ProjectId is not { Length: > 0 } projectId)
        {
            return "a service account needs the project_id query parameter";
        }

        return options.ProjectId is { } expected && !string.Equals(projectId, expected, StringComparison.Ordinal)
            ? "Invalid credentials: the service account is not a member of project " + projectId
            : null;
    }

    private static bool TryReadBasic(string authorization, out string user, out string password)
    {
        user = password = "";
        const string Scheme = "Basic ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || authorization.Length > MaxEncodedLength)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[MaxEncodedLength];
        if (!Convert.TryFromBase64String(authorization[Scheme.Length..].Trim(), decoded, out var written))
        {
            return false;
        }

        var credentials = Encoding.UTF8.GetString(decoded[..written]);
        var colon = credentials.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        user = credentials[..colon];
        password = credentials[(colon + 1)..];
        return true;
    }

    private static bool FixedTimeEquals(string given, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
}
