using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// Mixpanel's two flag endpoints as its SDKs call them: <c>GET /flags/definitions</c> (local evaluation) and
/// <c>GET /flags?context=…</c> (remote), with the project's token as HTTP Basic user (or a service account and its
/// project id), <c>token</c>, <c>mp_lib</c> and <c>$lib_version</c> in the query, a fresh W3C <c>traceparent</c> on each
/// request, and a 10-second timeout on the injected clock.
/// </summary>
internal sealed class FlagsApi
{
    /// <summary>The official SDKs' request timeout.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http;
    private readonly TimeProvider _clock;
    private readonly Uri _root;
    private readonly string _commonQuery;
    private readonly AuthenticationHeaderValue _authorization;

    public FlagsApi(HttpClient http, MixpanelOptions options, TimeProvider clock)
    {
        _http = http;
        _clock = clock;
        var host = options.ApiHost.AbsoluteUri;
        _root = host[host.Length - 1] == '/' ? options.ApiHost : new Uri(host + "/");
        var account = !string.IsNullOrEmpty(options.ServiceAccountUsername);
        _commonQuery = "token=" + Uri.EscapeDataString(options.ProjectToken) + "&mp_lib=" + LibraryInfo.LibraryName +
            "&%24lib_version=" + Uri.EscapeDataString(LibraryInfo.Current.Version) +
            (account ? "&project_id=" + Uri.EscapeDataString(options.ProjectId!) : string.Empty);
        var user = account ? options.ServiceAccountUsername + ":" + options.ServiceAccountSecret : options.ProjectToken + ":";
        _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user)));
    }

    /// <summary>The answer of <c>/flags/definitions</c>.</summary>
    /// <exception cref="FlagsRequestException">No answer, or not a 200 with JSON.</exception>
    public Task<JsonDocument> GetDefinitionsAsync(CancellationToken cancellationToken) =>
        GetAsync(new Uri(_root, "flags/definitions?" + _commonQuery), cancellationToken);

    /// <summary>The answer of <c>/flags</c> for <paramref name="context"/>; with <paramref name="flagKey"/>, for that flag only.</summary>
    /// <exception cref="FlagsRequestException">No answer, or not a 200 with JSON.</exception>
    public Task<JsonDocument> GetFlagsAsync(MixpanelFlagContext context, string? flagKey, string path, CancellationToken cancellationToken)
    {
        var query = _commonQuery + "&context=" + Uri.EscapeDataString(FlagContextJson.ToJson(context)) +
            (flagKey is null ? string.Empty : "&flag_key=" + Uri.EscapeDataString(flagKey));
        return GetAsync(new Uri(_root, path + "?" + query), cancellationToken);
    }

    /// <summary>A W3C trace context header value: version 00, a random trace id and parent id, sampled.</summary>
    public static string NewTraceparent()
    {
        var bytes = new byte[24];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(bytes);
        }

        var hex = new StringBuilder("00-", 55);
        for (var i = 0; i < bytes.Length; i++)
        {
            hex.Append(bytes[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            if (i == 15)
            {
                hex.Append('-');
            }
        }

        return hex.Append("-01").ToString();
    }

    private async Task<JsonDocument> GetAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var timeout = _clock.CreateTimeoutSource(RequestTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = _authorization;
        request.Headers.TryAddWithoutValidation("traceparent", NewTraceparent());
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
#if NET
            var body = await response.Content.ReadAsStringAsync(linked.Token).ConfigureAwait(false);
#else
            var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
#endif
            if ((int)response.StatusCode != 200)
            {
                throw new FlagsRequestException($"HTTP {(int)response.StatusCode}: {Shorten(body)}", null);
            }

            return JsonDocument.Parse(body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FlagsRequestException($"No answer within {RequestTimeout.TotalSeconds:0} seconds.", null);
        }
        catch (Exception exception) when (exception is HttpRequestException or JsonException or IOException)
        {
            throw new FlagsRequestException(exception.Message, exception);
        }
    }

    private static string Shorten(string body) => body.Length <= 200 ? body : body.Substring(0, 200);
}

/// <summary>Mixpanel's flags could not be had: no answer, an error status, or a body that is not JSON.</summary>
internal sealed class FlagsRequestException(string message, Exception? inner) : Exception(message, inner);
