using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Sends one leased batch to Mixpanel and settles every record in it: delivered, or dropped with a counted reason.
/// Transient failures (429, 5xx, network errors, timeouts) are retried by a Polly pipeline on the injected clock,
/// without limit, until they succeed or the client stops; nothing is dropped for them. Only a refused token
/// (401/403) leaves records unsettled: delivery halts and they stay queued. One request is on the wire at a time; a
/// batch delivered meanwhile has its body built and compressed, then waits its turn.
/// </summary>
internal sealed class IngestionClient : IDisposable
{
    private static readonly ResiliencePropertyKey<string> EndpointKey = new("mixpanel.endpoint");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };
    private static readonly string[] EndpointNames = ["/track", "/engage", "/groups"];

    // Error bodies are short JSON documents; a longer one is read no further than this.
    private const int MaxErrorBodyBytes = 256 * 1024;
    private const int ResponseReadBytes = 4 * 1024;

    private readonly HttpClient _http;
    private readonly Uri[] _uris;
    private readonly bool _gzip;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    // Requests go out one at a time, in the order their batches were leased.
    private readonly SemaphoreSlim _wire = new(1, 1);

    public IngestionClient(HttpClient http, MixpanelOptions options, TimeProvider timeProvider, DeliveryCounters counters, ILogger logger, Func<double>? random = null)
    {
        _http = http;
        _gzip = options.UseGzip;
        _counters = counters;
        _logger = logger;

        var query = options.UseIpAddressForGeolocation ? "?ip=1&verbose=1" : "?ip=0&verbose=1";
        var host = options.ApiHost.AbsoluteUri;
        var root = host[host.Length - 1] == '/' ? options.ApiHost : new Uri(host + "/");
        _uris = [new Uri(root, "track" + query), new Uri(root, "engage" + query), new Uri(root, "groups" + query)];

        var draw = random ?? CreateRandom();
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                // Nothing is dropped for a transient failure: retries go on until they succeed or the client stops.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = static args => new ValueTask<bool>(IsTransient(args.Outcome, args.Context.CancellationToken)),
                DelayGenerator = args => new ValueTask<TimeSpan?>(
                    RetrySchedule.Next(args.AttemptNumber, RetrySchedule.ReadRetryAfter(args.Outcome.Result, timeProvider.GetUtcNow()), draw())),
                OnRetry = args =>
                {
                    _counters.OnRetried();
                    Log.RetryScheduled(
                        _logger,
                        args.Context.Properties.GetValue(EndpointKey, "?"),
                        Describe(args.Outcome),
                        args.AttemptNumber + 1,
                        args.RetryDelay);
                    return default;
                },
            })
            .AddTimeout(options.RequestTimeout)
            .Build();
    }

    /// <summary>The status code that halted delivery (401/403), once it has.</summary>
    public int? HaltedStatusCode { get; private set; }

    /// <summary>
    /// Delivers the batch in <paramref name="slot"/>; true when every record is settled (sent or dropped and counted),
    /// false when delivery halted and the batch must stay queued. The body is built and compressed at once; the request
    /// waits for the one before it to be answered.
    /// </summary>
    public async Task<bool> DeliverAsync(DeliverySlot slot, CancellationToken cancellationToken)
    {
        var batch = slot.Batch;
        Prepare(slot, 0, batch.Count);
        await _wire.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SendPartsAsync(slot, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _wire.Release();
            slot.Trim();
        }
    }

    private async Task<bool> SendPartsAsync(DeliverySlot slot, CancellationToken cancellationToken)
    {
        var batch = slot.Batch;
        var endpointName = EndpointNames[(int)batch.Endpoint];

        // Parts still to send: a batch is halved on 413 and on a 400 that doesn't say which records were wrong. The
        // whole batch, the first part, is prepared already.
        var parts = new Stack<(int Start, int Count)>();
        parts.Push((0, batch.Count));
        var prepared = true;
        while (parts.Count > 0)
        {
            var (start, count) = parts.Pop();
            if (!prepared)
            {
                Prepare(slot, start, count);
            }

            prepared = false;
            using var response = await SendAsync(slot, endpointName, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;

            // The answer's body was read with the request, inside its timeout, into slot.Response: it is read once.
            if (response.IsSuccessStatusCode && IsAccepted(slot.Response.WrittenSpan))
            {
                _counters.OnSent(count);
                Log.BatchSent(_logger, count, endpointName);
            }
            else if (response.IsSuccessStatusCode || status == (int)HttpStatusCode.BadRequest)
            {
                var rejection = ReadRejection(slot.Response);
                var invalid = new HashSet<int>((rejection.FailedIndexes ?? []).Where(index => index >= 0 && index < count));
                if (invalid.Count > 0)
                {
                    // Mixpanel names the invalid records and (on /import, documented) ingests the rest; when it says
                    // it imported fewer than the rest, the rest are sent again, without the invalid ones. (A list
                    // naming none of this batch's records counts as naming none: the batch is split instead.)
                    _counters.OnDropped(DropReason.Rejected, invalid.Count, wasQueued: true);
                    Log.RecordsRejected(_logger, invalid.Count, endpointName, rejection.Reason);
                    if (rejection.Imported is { } imported && imported < count - invalid.Count)
                    {
                        PushValidRuns(parts, start, count, invalid);
                    }
                    else
                    {
                        _counters.OnSent(count - invalid.Count);
                    }
                }
                else if (count > 1)
                {
                    Split(parts, start, count);
                }
                else
                {
                    _counters.OnDropped(DropReason.Rejected, 1, wasQueued: true);
                    Log.RecordsRejected(_logger, 1, endpointName, rejection.Reason);
                }
            }
            else if (status == 413)
            {
                if (count > 1)
                {
                    Log.BatchSplit(_logger, count, endpointName);
                    Split(parts, start, count);
                }
                else
                {
                    _counters.OnDropped(DropReason.TooLarge, 1, wasQueued: true);
                    Log.RecordsRejected(_logger, 1, endpointName, "413: a single record is too large");
                }
            }
            else if (status is 401 or 403 or 404 or 405)
            {
                // The configuration is wrong, not the data: keep the records, stop sending.
                HaltedStatusCode = status;
                Log.DeliveryHalted(_logger, status, endpointName);
                return false;
            }
            else
            {
                var rejection = ReadRejection(slot.Response);
                _counters.OnDropped(DropReason.Rejected, count, wasQueued: true);
                Log.RecordsRejected(_logger, count, endpointName, $"HTTP {status}: {rejection.Reason}");
            }
        }

        return true;
    }

    /// <summary>Builds the body of records <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1, gzipped for <c>/track</c>.</summary>
    private void Prepare(DeliverySlot slot, int start, int count)
    {
        var batch = slot.Batch;
        var body = slot.Body;
        batch.WriteBody(body, start, count);
        if (!_gzip || batch.Endpoint != RecordEndpoint.Track)
        {
            slot.SetContent(body.Array, body.Length, gzipped: false);
            return;
        }

        var compressed = slot.Compressed;
        compressed.SetLength(0);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body.Array, 0, body.Length);
        }

        slot.SetContent(compressed.GetBuffer(), (int)compressed.Length, gzipped: true);
    }

    /// <summary>Queues the runs of records between the invalid ones.</summary>
    private static void PushValidRuns(Stack<(int Start, int Count)> parts, int start, int count, HashSet<int> invalid)
    {
        var runs = new List<(int Start, int Count)>();
        var runStart = 0;
        for (var i = 0; i <= count; i++)
        {
            if (i == count || invalid.Contains(i))
            {
                if (i > runStart)
                {
                    runs.Add((start + runStart, i - runStart));
                }

                runStart = i + 1;
            }
        }

        for (var i = runs.Count - 1; i >= 0; i--)
        {
            parts.Push(runs[i]);
        }
    }

    private static void Split(Stack<(int Start, int Count)> parts, int start, int count)
    {
        var half = count / 2;
        parts.Push((start + half, count - half));
        parts.Push((start, half));
    }

    private async Task<HttpResponseMessage> SendAsync(DeliverySlot slot, string endpointName, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(EndpointKey, endpointName);
        try
        {
            var request = new RequestState(_http, _uris[(int)slot.Batch.Endpoint], slot.Content, slot.ContentLength, slot.IsGzipped, slot.Response);
            return await _pipeline.ExecuteAsync(static (ctx, state) => state.SendOnceAsync(ctx.CancellationToken), context, request)
                .ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome, CancellationToken stopping) => outcome switch
    {
        { Exception: TimeoutRejectedException or HttpRequestException or IOException } => true,

        // HttpClient's own Timeout surfaces as a cancellation the client did not ask for.
        { Exception: OperationCanceledException } => !stopping.IsCancellationRequested,
        { Result: { } response } => (int)response.StatusCode is 408 or 429 or >= 500,
        _ => false,
    };

    private static string Describe(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is { } exception ? exception.GetType().Name : $"HTTP {(int)outcome.Result!.StatusCode}";

    /// <summary>Reads a 2xx body without allocating: every accepted batch has one, and it is a few bytes.</summary>
    internal static bool IsAccepted(ReadOnlySpan<byte> body)
    {
        body = TrimWhiteSpace(body);
        if (body.Length == 0 || (body.Length == 1 && body[0] == (byte)'1'))
        {
            return true;
        }

        if (body.Length == 1 && body[0] == (byte)'0')
        {
            return false;
        }

        try
        {
            // The whole body is read, so that a body which is not JSON counts as an acceptance, as it always has; a
            // repeated "status" is read as its last occurrence, as JsonDocument does.
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                while (reader.Read())
                {
                }

                return true;
            }

            var rejected = false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    var isStatus = reader.ValueTextEquals("status"u8);
                    reader.Read();
                    if (isStatus)
                    {
                        rejected = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var status) && status == 0;
                    }
                }
            }

            return !rejected;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private static ReadOnlySpan<byte> TrimWhiteSpace(ReadOnlySpan<byte> text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && IsWhiteSpace(text[start]))
        {
            start++;
        }

        while (end > start && IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return text.Slice(start, end - start);

        static bool IsWhiteSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0x0B or 0x0C;
    }

    private static Rejection ReadRejection(ByteBuffer body)
    {
        var text = Encoding.UTF8.GetString(body.Array, 0, body.Length);
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new Rejection(null, Shorten(text), null);
            }

            var reason = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.String
                ? error.GetString() ?? "invalid data"
                : "invalid data";
            if (!root.TryGetProperty("failed_records", out var failed) || failed.ValueKind != JsonValueKind.Array)
            {
                return new Rejection(null, reason, null);
            }

            int? imported = root.TryGetProperty("num_records_imported", out var importedCount) && importedCount.TryGetInt32(out var n) ? n : null;

            var indexes = new List<int>();
            var details = new StringBuilder(reason);
            foreach (var record in failed.EnumerateArray())
            {
                if (record.ValueKind == JsonValueKind.Object && record.TryGetProperty("index", out var index) && index.TryGetInt32(out var i))
                {
                    indexes.Add(i);
                    if (indexes.Count <= 5)
                    {
                        details.Append("; #").Append(i).Append(' ')
                            .Append(record.TryGetProperty("field", out var field) ? field.ToString() : "?").Append(": ")
                            .Append(record.TryGetProperty("message", out var message) ? message.ToString() : "?");
                    }
                }
            }

            return new Rejection(indexes, details.ToString(), imported);
        }
        catch (JsonException)
        {
            return new Rejection(null, Shorten(text), null);
        }
    }

    /// <summary>
    /// Reads the response body, at most <see cref="MaxErrorBodyBytes"/> of it, into <paramref name="body"/>: a success
    /// body is a few bytes, an error body a short document. Called within the request's timeout, so a server that
    /// sends headers and then stalls is retried like any other timeout.
    /// </summary>
    private static async Task ReadBoundedAsync(HttpResponseMessage response, ByteBuffer body, CancellationToken cancellationToken)
    {
        body.Clear();
#if NET8_0_OR_GREATER
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
#else
        var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
#endif
        using (stream)
        {
            while (body.Length < MaxErrorBodyBytes)
            {
                var space = Math.Min(body.GetSpan(ResponseReadBytes).Length, MaxErrorBodyBytes - body.Length);
#if NET8_0_OR_GREATER
                var n = await stream.ReadAsync(body.Array.AsMemory(body.Length, space), cancellationToken).ConfigureAwait(false);
#else
                var n = await stream.ReadAsync(body.Array, body.Length, space, cancellationToken).ConfigureAwait(false);
#endif
                if (n == 0)
                {
                    break;
                }

                body.Advance(n);
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text.Remove(200) + "…";

    public void Dispose() => _wire.Dispose();

    private static Func<double> CreateRandom()
    {
#if NET8_0_OR_GREATER
        return Random.Shared.NextDouble;
#else
        var random = new Random();
        return () =>
        {
            lock (random)
            {
                return random.NextDouble();
            }
        };
#endif
    }

    private readonly record struct Rejection(IReadOnlyList<int>? FailedIndexes, string Reason, int? Imported);

    private sealed class RequestState
    {
        private readonly HttpClient _http;
        private readonly Uri _uri;
        private readonly byte[] _content;
        private readonly int _length;
        private readonly bool _gzip;
        private readonly ByteBuffer _responseBody;

        public RequestState(HttpClient http, Uri uri, byte[] content, int length, bool gzip, ByteBuffer responseBody)
        {
            _responseBody = responseBody;
            _http = http;
            _uri = uri;
            _content = content;
            _length = length;
            _gzip = gzip;
        }

        public async ValueTask<HttpResponseMessage> SendOnceAsync(CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _uri);
            var body = new ByteArrayContent(_content, 0, _length);
            body.Headers.ContentType = JsonContentType;
            if (_gzip)
            {
                body.Headers.ContentEncoding.Add("gzip");
            }

            request.Content = body;
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            try
            {
                await ReadBoundedAsync(response, _responseBody, cancellationToken).ConfigureAwait(false);
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }
}
