using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Sends a stream of historical events to <c>/import</c>: one producer serializes them into requests of up to 2,000
/// events and 10 MB, and up to <see cref="Concurrency"/> requests are on the wire at once. Each request's answer is
/// classified by <see cref="Replies"/>: taken, refused per event (<c>strict=1</c>), too large (sent again in halves),
/// transient (retried with <see cref="Backoff"/>), or a refusal of the credentials, which ends the import.
/// </summary>
internal sealed class BulkImporter
{
    /// <summary>Requests in flight at once: enough to keep a link busy while one is being answered.</summary>
    public const int Concurrency = 4;

    /// <summary>Attempts of one request before the import gives up (about five minutes of backoff).</summary>
    public const int MaxAttempts = 8;

    private readonly HttpSender _sender;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Func<double> _random;
    private readonly object _gate = new();
    private readonly List<MixpanelImportFailure> _failures = [];
    private long _imported;
    private long _rejected;

    public BulkImporter(HttpSender sender, TimeProvider timeProvider, ILogger logger, Func<double>? random = null)
    {
        _sender = sender;
        _timeProvider = timeProvider;
        _logger = logger;
        _random = random ?? Backoff.SharedRandom;
    }

    public async Task<MixpanelImportResult> RunAsync(IAsyncEnumerable<MixpanelImportEvent> events, IProgress<MixpanelImportProgress>? progress, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new List<Task<Request>>(Concurrency);
        var spare = new Stack<Request>();
        using var writer = new ImportEventWriter();
        var request = new Request();
        long index = 0;
        try
        {
            await foreach (var item in events.WithCancellation(stop.Token).ConfigureAwait(false))
            {
                Guard.NotNull(item, nameof(events));
                if (request.Count == MixpanelLimits.MaxRecordsPerRequest)
                {
                    await DispatchAsync(request, progress, stop.Token).ConfigureAwait(false);
                    request = Fresh();
                }

                // The event is written in place, at the end of the request it will most likely go in.
                var start = request.Begin();
                writer.Write(request.Json, item);
                var json = request.Json.WrittenSpan.Slice(start);
                if (json.Length >= MixpanelLimits.MaxRecordBytes)
                {
                    Reject(Failure(index++, json, $"larger than the {MixpanelLimits.MaxRecordBytes} bytes Mixpanel takes for one event"));
                    request.Abandon(start);
                    Report(progress);
                    continue;
                }

                if (request.Overflows)
                {
                    // Too much for this request: it goes as it was, and the event starts the next one.
                    var next = Fresh();
                    next.Add(json, index++);
                    request.Abandon(start);
                    await DispatchAsync(request, progress, stop.Token).ConfigureAwait(false);
                    request = next;
                    continue;
                }

                request.End(index++);
            }

            if (request.Count > 0)
            {
                await DispatchAsync(request, progress, stop.Token).ConfigureAwait(false);
            }

            while (inFlight.Count > 0)
            {
                await CompleteOneAsync().ConfigureAwait(false);
            }
        }
        catch
        {
            // One request's failure (credentials refused, Mixpanel unreachable) ends the others.
            stop.Cancel();
            await Task.WhenAll(inFlight).ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            throw;
        }

        lock (_gate)
        {
            return new MixpanelImportResult(_imported, _rejected, [.. _failures]);
        }

        Request Fresh() => spare.Count > 0 ? spare.Pop() : new Request();

        async Task DispatchAsync(Request full, IProgress<MixpanelImportProgress>? reporter, CancellationToken token)
        {
            if (inFlight.Count == Concurrency)
            {
                await CompleteOneAsync().ConfigureAwait(false);
            }

            // Compressing and sending run beside the producer, which goes on serializing the next request.
            inFlight.Add(Task.Run(() => SendAsync(full, reporter, token), token));
        }

        async Task CompleteOneAsync()
        {
            var done = await Task.WhenAny(inFlight).ConfigureAwait(false);
            inFlight.Remove(done);
            var finished = await done.ConfigureAwait(false);
            finished.Clear();
            spare.Push(finished);
        }
    }

    /// <summary>The failure of the event at <paramref name="index"/>, its name and insert id read back from its JSON.</summary>
    private static MixpanelImportFailure Failure(long index, ReadOnlySpan<byte> json, string reason)
    {
        var reader = new Utf8JsonReader(json);
        string? name = null;
        string? insertId = null;
        var depth = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    depth++;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    depth--;
                    break;
                case JsonTokenType.PropertyName when depth == 1 && reader.ValueTextEquals("event"u8):
                    reader.Read();
                    name = reader.GetString();
                    break;
                case JsonTokenType.PropertyName when depth == 2 && reader.ValueTextEquals(ReservedNames.InsertId):
                    reader.Read();
                    insertId = reader.GetString();
                    break;
            }
        }

        return new MixpanelImportFailure(index, name ?? "", insertId ?? "", reason);
    }

    private async Task<Request> SendAsync(Request request, IProgress<MixpanelImportProgress>? progress, CancellationToken cancellationToken)
    {
        await SendRangeAsync(request, 0, request.Count, progress, cancellationToken).ConfigureAwait(false);
        return request;
    }

    private async Task SendRangeAsync(Request request, int start, int count, IProgress<MixpanelImportProgress>? progress, CancellationToken cancellationToken)
    {
        var body = request.Body(start, count);
        var content = _sender.Encode(RecordEndpoint.Import, body, request.Compressed);
        for (var attempt = 1; ; attempt++)
        {
            var result = await _sender.SendAsync(RecordEndpoint.Import, content, cancellationToken).ConfigureAwait(false);
            var reply = result.Failure is null
                ? Replies.Classify(result.Status, result.Body, count)
                : new Reply(ReplyAction.Retry, result.Failure.GetType().Name);
            var settled = Settlement.Settle((start, count), reply);
            switch (reply.Action)
            {
                case ReplyAction.Halt:
                    throw new InvalidOperationException($"Mixpanel refused the import ({reply.Why}); {Volatile.Read(ref _imported)} events were imported before.");
                case ReplyAction.Retry:
                    if (attempt == MaxAttempts)
                    {
                        throw new HttpRequestException(
                            $"An import request failed {MaxAttempts} times ({reply.Why}); {Volatile.Read(ref _imported)} events were imported. Importing again is safe: events keep their insert ids.",
                            result.Failure);
                    }

                    var delay = Backoff.Next(attempt - 1, result.RetryAfter, _random());
                    Log.ImportRetry(_logger, count, reply.Why, attempt, delay);
                    await _timeProvider.DelayAsync(delay, cancellationToken).ConfigureAwait(false);
                    continue;
            }

            // Imported is what Mixpanel says it took; what it refused is named with its reasons; the rest goes again.
            var refused = new List<MixpanelImportFailure>(settled.Refused.Count);
            for (var i = 0; i < settled.Refused.Count; i++)
            {
                var at = settled.Refused[i];
                var reason = reply.FailedReasons is { } reasons ? reasons[i] : reply.TooLarge ? "larger than Mixpanel takes" : reply.Why;
                refused.Add(Failure(request.Indexes[at], request.Event(at), reason));
            }

            if (refused.Count > 0 && reply.Action == ReplyAction.DropNamed)
            {
                Log.ImportRejected(_logger, refused.Count, count, reply.Why);
            }

            Count(settled.Delivered, refused);
            if (settled.Delivered > 0 || refused.Count > 0)
            {
                progress?.Report(Progress());
            }

            foreach (var run in settled.Resend)
            {
                await SendRangeAsync(request, run.Start, run.Count, progress, cancellationToken).ConfigureAwait(false);
            }

            return;
        }
    }

    private void Reject(MixpanelImportFailure failure) => Count(0, [failure]);

    private void Count(int imported, List<MixpanelImportFailure> refused)
    {
        lock (_gate)
        {
            _imported += imported;
            _rejected += refused.Count;
            for (var i = 0; i < refused.Count && _failures.Count < MixpanelImportResult.MaxFailures; i++)
            {
                _failures.Add(refused[i]);
            }
        }
    }

    private void Report(IProgress<MixpanelImportProgress>? progress) => progress?.Report(Progress());

    private MixpanelImportProgress Progress()
    {
        lock (_gate)
        {
            return new MixpanelImportProgress(_imported, _rejected);
        }
    }

    /// <summary>
    /// One request's events: the body being written (a JSON array, its closing bracket added when it is sent), where
    /// each event starts and ends in it, and who each one is in the caller's stream.
    /// </summary>
    private sealed class Request
    {
        private readonly ByteBuffer _json = new(64 * 1024);
        private readonly List<int> _ends = [];
        private readonly ByteBuffer _part = new(4 * 1024);

        public List<long> Indexes { get; } = [];

        /// <summary>The buffer the body is gzipped into.</summary>
        public MemoryStream Compressed { get; } = new(16 * 1024);

        public int Count => _ends.Count;

        /// <summary>The body being written.</summary>
        public ByteBuffer Json => _json;

        /// <summary>Whether the body, with its closing bracket, is more than Mixpanel takes in one request.</summary>
        public bool Overflows => _json.Length + 1 > MixpanelLimits.MaxImportRequestBytes;

        /// <summary>Starts the next event: writes the bracket or comma before it and gives where the event starts.</summary>
        public int Begin()
        {
            _json.WriteByte(Count == 0 ? (byte)'[' : (byte)',');
            return _json.Length;
        }

        /// <summary>Ends the event begun by <see cref="Begin"/>: it is the request's, as the caller's event <paramref name="index"/>.</summary>
        public void End(long index)
        {
            _ends.Add(_json.Length);
            Indexes.Add(index);
        }

        /// <summary>Takes back the event begun at <paramref name="start"/>, with the bracket or comma before it.</summary>
        public void Abandon(int start) => _json.Truncate(start - 1);

        /// <summary>Adds an event written elsewhere.</summary>
        public void Add(ReadOnlySpan<byte> json, long index)
        {
            Begin();
            _json.Write(json);
            End(index);
        }

        /// <summary>The JSON of event <paramref name="i"/>.</summary>
        public ReadOnlySpan<byte> Event(int i)
        {
            var from = (i == 0 ? 0 : _ends[i - 1]) + 1;
            return _json.WrittenSpan.Slice(from, _ends[i] - from);
        }

        /// <summary>
        /// The request body of events <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1:
        /// the whole body as written, or for part of it (a request sent again in halves) a copy the next call reuses.
        /// </summary>
        public ByteBuffer Body(int start, int count)
        {
            if (start == 0 && count == Count)
            {
                // Closed once: after it the body is one byte longer than its last event.
                if (_json.Length == _ends[Count - 1])
                {
                    _json.WriteByte((byte)']');
                }

                return _json;
            }

            // Event i spans from just after the bracket or comma before it to _ends[i].
            var from = (start == 0 ? 0 : _ends[start - 1]) + 1;
            var to = _ends[start + count - 1];
            _part.Clear();
            _part.WriteByte((byte)'[');
            _part.Write(_json.WrittenSpan.Slice(from, to - from));
            _part.WriteByte((byte)']');
            return _part;
        }

        public void Clear()
        {
            _json.Clear();
            _ends.Clear();
            Indexes.Clear();
        }
    }
}
