using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>A plain HttpClient speaking Mixpanel's ingestion API to a local server.</summary>
internal sealed class RawPoster : IDisposable
{
    private readonly HttpClient _http;

    public RawPoster(LocalMixpanelServer server)
    {
        _http = new HttpClient { BaseAddress = server.BaseAddress };
    }

    public HttpClient Http => _http;

    public Task<Answer> PostAsync(string path, string body, string contentType = "application/json", CancellationToken cancellationToken = default) =>
        SendAsync(path, Encoding.UTF8.GetBytes(body), contentType, gzip: false, authorization: null, cancellationToken);

    public async Task<Answer> GetAsync(string pathAndQuery, CancellationToken cancellationToken = default)
    {
        using var response = await _http.GetAsync(pathAndQuery, cancellationToken);
        return await Answer.ReadAsync(response, cancellationToken);
    }

    public Task<Answer> PostGzipAsync(string path, string body, CancellationToken cancellationToken = default) =>
        SendAsync(path, Gzip(Encoding.UTF8.GetBytes(body)), "application/json", gzip: true, authorization: null, cancellationToken);

    public Task<Answer> PostWithSecretAsync(string path, string body, string secret) =>
        SendAsync(
            path,
            Encoding.UTF8.GetBytes(body),
            "application/json",
            gzip: false,
            Basic(secret),
            CancellationToken.None);

    /// <summary>HTTP Basic credentials: a project secret as the user name with no password, or a service account and its secret.</summary>
    public static AuthenticationHeaderValue Basic(string user, string password = "") =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));

    public async Task<Answer> SendAsync(
        string path,
        byte[] body,
        string contentType,
        bool gzip,
        AuthenticationHeaderValue? authorization,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }

        request.Headers.Authorization = authorization;
        using var response = await _http.SendAsync(request, cancellationToken);
        return await Answer.ReadAsync(response, cancellationToken);
    }

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>What the server answered.</summary>
internal sealed record Answer(int StatusCode, string Body, RetryConditionHeaderValue? RetryAfter, string? ContentType = null)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public static async Task<Answer> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken) =>
        new(
            (int)response.StatusCode,
            await response.Content.ReadAsStringAsync(cancellationToken),
            response.Headers.RetryAfter,
            response.Content.Headers.ContentType?.MediaType);
}
