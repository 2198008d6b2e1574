using System.IO.Compression;
using System.Net.Http.Headers;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Polly;
using Polly.Timeout;

namespace Mixpanel.Identity.Delivery;

/// <summary>What one request got: Mixpanel's status and the start of its body, or the failure that stood in for an answer.</summary>
internal sealed record SendResult(int Status, byte[] Body, TimeSpan? RetryAfter, Exception? Failure)
{
    public static SendResult Failed(Exception failure) => new(0, [], null, failure);
}

/// <summary>
/// Puts one request body on the wire and reads the answer, within <see cref="MixpanelOptions.RequestTimeout"/> (a
/// Polly timeout on the injected clock, covering the body's read too). It decides nothing: the engine classifies
/// the answer (<see cref="Replies"/>) and decides what to do.
/// </summary>
internal sealed class HttpSender
{
    // Answers are a few bytes, or a short JSON document; a longer body is read no further than this.
    private const int MaxBodyBytes = 64 * 1024;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly Uri[] _uris;
    private readonly bool _gzip;
    private readonly TimeProvider _timeProvider;
    private readonly ResiliencePipeline _pipeline;
    private readonly AuthenticationHeaderValue? _importAuthorization;

    public HttpSender(HttpClient http, MixpanelOptions options, TimeProvider timeProvider)
    {
        _http = http;
        _gzip = options.UseGzip;
        _timeProvider = timeProvider;
        var query = options.UseIpAddressForGeolocation ? "?ip=1&verbose=1" : "?ip=0&verbose=1";
        var host = options.ApiHost.AbsoluteUri;
        var root = host[host.Length - 1] == '/' ? options.ApiHost : new Uri(host + "/");
        _uris = [.. RecordEndpoints.All.Select(endpoint => new Uri(root, RecordEndpoints.Path(endpoint) + query))];

        // /import: per-record errors (strict=1), the project's credentials, and with a service account its project.
        _uris[(int)RecordEndpoint.Import] = new Uri(
            root,
            "import?strict=1" + (string.IsNullOrEmpty(options.ServiceAccountUsername) ? "" : "&project_id=" + Uri.EscapeDataString(options.ProjectId!)));
        _importAuthorization = ImportAuthorization(options);
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddTimeout(options.RequestTimeout).Build();
    }

    /// <summary>
    /// The handler the client sends through, its own or from <c>IHttpClientFactory</c>. Redirects are never followed:
    /// a redirect is never Mixpanel's answer, and following one would post the records, token included, elsewhere.
    /// Connections are recycled so that a change of Mixpanel's DNS is picked up; the request timeout is the client's
    /// own (<see cref="MixpanelOptions.RequestTimeout"/>), applied per attempt.
    /// </summary>
    public static HttpMessageHandler CreateHandler()
    {
#if NET8_0_OR_GREATER
        return new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false };
#else
        return new HttpClientHandler { AllowAutoRedirect = false };
#endif
    }

    /// <summary>
    /// The body of records <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 of
    /// <paramref name="batch"/>, written in its buffer; gzipped for <c>/track</c> (Mixpanel documents gzip for events only).
    /// </summary>
    public ArraySegment<byte> Prepare(Batch batch, int start, int count)
    {
        var body = batch.Body;
        batch.WriteBody(body, start, count);
        return Encode(batch.Endpoint, body, batch.Compressed);
    }

    /// <summary>A body as <paramref name="endpoint"/> is sent it: gzipped into <paramref name="compressed"/> where it takes gzip, else as it is.</summary>
    public ArraySegment<byte> Encode(RecordEndpoint endpoint, ByteBuffer body, MemoryStream compressed) =>
        IsGzipped(endpoint) ? Compress(body, compressed) : new ArraySegment<byte>(body.Array, 0, body.Length);

    /// <summary>
    /// Sends a prepared body to <paramref name="endpoint"/>. Throws <see cref="OperationCanceledException"/> only for
    /// <paramref name="cancellationToken"/>; every other failure is the result.
    /// </summary>
    public async Task<SendResult> SendAsync(RecordEndpoint endpoint, ArraySegment<byte> content, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, token) => await state.Sender.SendOnceAsync(state.Uri, state.Content, state.Gzip, state.Authorization, token).ConfigureAwait(false),
                (Sender: this, Uri: _uris[(int)endpoint], Content: content, Gzip: IsGzipped(endpoint), Authorization: endpoint == RecordEndpoint.Import ? _importAuthorization : null),
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is TimeoutRejectedException or HttpRequestException or IOException ||
                                          (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // A failure stands in for an answer: the records are sent again. (HttpClient's own timeout surfaces as a
            // cancellation nobody asked for.)
            return SendResult.Failed(exception);
        }
    }

    private bool IsGzipped(RecordEndpoint endpoint) => _gzip && RecordEndpoints.TakesGzip(endpoint);

    /// <summary>HTTP Basic credentials for <c>/import</c>: a service account, or the API secret as user name with no password.</summary>
    private static AuthenticationHeaderValue? ImportAuthorization(MixpanelOptions options)
    {
        var pair = !string.IsNullOrEmpty(options.ServiceAccountUsername) ? options.ServiceAccountUsername + ":" + options.ServiceAccountSecret
            : !string.IsNullOrEmpty(options.ApiSecret) ? options.ApiSecret + ":"
            : null;
        return pair is null ? null : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pair)));
    }

    /// <summary>
    /// <paramref name="body"/> gzipped into <paramref name="into"/>, whose earlier content it replaces: a request's
    /// buffer is reused for the next, as a large body's would otherwise be a new large-object-heap array each time.
    /// </summary>
    private static ArraySegment<byte> Compress(ByteBuffer body, MemoryStream into)
    {
        into.SetLength(0);
        using (var gzip = new GZipStream(into, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body.Array, 0, body.Length);
        }

        return new ArraySegment<byte>(into.GetBuffer(), 0, (int)into.Length);
    }

    private async ValueTask<SendResult> SendOnceAsync(Uri uri, ArraySegment<byte> body, bool gzip, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Headers.Authorization = authorization;
        var content = new ByteArrayContent(body.Array!, body.Offset, body.Count);
        content.Headers.ContentType = JsonContentType;
        if (gzip)
        {
            content.Headers.ContentEncoding.Add("gzip");
        }

        request.Content = content;
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var answer = await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false);
        return new SendResult((int)response.StatusCode, answer, Backoff.ReadRetryAfter(response, _timeProvider.GetUtcNow()), null);
    }

    /// <summary>The answer's body, no further than <see cref="MaxBodyBytes"/>; read within the timeout, so a stalled body is retried like any other timeout.</summary>
    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
#if NET
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
#else
        var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
#endif
        using (stream)
        {
            var buffer = new byte[4096];
            var length = 0;
            while (length < MaxBodyBytes)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, MaxBodyBytes));
                }

#if NET
                var n = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
#else
                var n = await stream.ReadAsync(buffer, length, buffer.Length - length, cancellationToken).ConfigureAwait(false);
#endif
                if (n == 0)
                {
                    break;
                }

                length += n;
            }

            return buffer.AsSpan(0, length).ToArray();
        }
    }
}
