using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// Answers one request the way Mixpanel's ingestion API would: reads the body within the limit, applies the scripted fault,
/// finds the records in whichever form they came (<see cref="Payload"/>), checks <c>/import</c>'s credentials, validates
/// every record, records the outcome, then answers in the form the request asked for (<see cref="AnswerFormat"/>), with
/// CORS headers for pages. GET and POST carry records; OPTIONS is a browser's preflight. The outcome is recorded before
/// the answer is written, so a client that has its response can already see its records on the server.
/// </summary>
internal sealed partial class IngestionHandler(LocalMixpanelServerOptions options, FaultScript faults, Recorder recorder, Action notify)
{
    // What a dropped connection reads of the body before cutting it off.
    private const int DroppedConnectionReadBytes = 4096;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 1024 };

    public async Task HandleAsync(HttpContext context, CancellationToken stopping)
    {
        var exchange = new Exchange(context, recorder.Begin(), options.TimeProvider.GetUtcNow(), options.RetainRecords);
        notify();
        try
        {
            await ProcessAsync(exchange, stopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing escapes into Kestrel: whatever happened is recorded, and the client gets a 500 or a cut connection.
            try
            {
                await FailAsync(exchange, ex, stopping).ConfigureAwait(false);
            }
            catch (Exception)
            {
                context.Abort();
            }
        }
        finally
        {
            exchange.Dispose();
        }
    }

    private async Task ProcessAsync(Exchange exchange, CancellationToken stopping)
    {
        var context = exchange.Context;
        var request = context.Request;
        var takesRecords = HttpMethods.IsPost(request.Method) || HttpMethods.IsGet(request.Method);
        var fault = exchange.Endpoint is { } endpoint && takesRecords ? faults.Next(endpoint) : null;
        exchange.Fault = fault;

        if (fault?.Kind == ServerFaultKind.DropConnection)
        {
            exchange.Partial = await RequestBody.ReadSomeAsync(request.Body, DroppedConnectionReadBytes, context.RequestAborted)
                .ConfigureAwait(false);
            Record(exchange, statusCode: null, response: null, "the connection was dropped by a scripted fault");
            context.Abort();
            return;
        }

        exchange.Body = await RequestBody.ReadAsync(
                request.Body,
                request.ContentLength,
                request.Headers.ContentEncoding.ToString(),
                IngestionLimits.MaxBodyBytes(exchange.Endpoint == MixpanelEndpoint.Import),
                context.RequestAborted)
            .ConfigureAwait(false);
        if (exchange.Body.Status == BodyStatus.Abandoned)
        {
            Record(exchange, statusCode: null, response: null, "the body went on far beyond the limit: the connection was closed");
            context.Abort();
            return;
        }

        if (exchange.Endpoint is null)
        {
            await RespondErrorAsync(exchange, StatusCodes.Status404NotFound, "no Mixpanel endpoint at this path").ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsOptions(request.Method))
        {
            CrossOrigin.AnswerPreflight(request, context.Response);
            await RespondAsync(exchange, new Answer(StatusCodes.Status200OK, "text/plain", []), error: null).ConfigureAwait(false);
            return;
        }

        if (!takesRecords)
        {
            context.Response.Headers.Allow = CrossOrigin.Methods;
            await RespondErrorAsync(exchange, StatusCodes.Status405MethodNotAllowed, "Mixpanel's ingestion endpoints take GET and POST")
                .ConfigureAwait(false);
            return;
        }

        switch (fault?.Kind)
        {
            case ServerFaultKind.Status:
                await RespondToStatusFaultAsync(exchange, fault).ConfigureAwait(false);
                return;
            case ServerFaultKind.NeverRespond:
                await HoldAsync(exchange, delay: null, stopping).ConfigureAwait(false);
                Record(exchange, statusCode: null, response: null, "never answered (scripted fault): the client gave up or the server stopped");
                context.Abort();
                return;
            case ServerFaultKind.StallBody:
                CrossOrigin.Allow(request, context.Response);
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength = 64;
                await context.Response.Body.WriteAsync("{"u8.ToArray(), context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                await HoldAsync(exchange, delay: null, stopping).ConfigureAwait(false);
                Record(exchange, statusCode: StatusCodes.Status200OK, response: null, "the body stalled after its first byte (scripted fault)");
                context.Abort();
                return;
            case ServerFaultKind.Delay:
                await HoldAsync(exchange, fault.DelayDuration, stopping).ConfigureAwait(false);
                break;
        }

        await IngestAsync(exchange, dropResponse: fault?.Kind == ServerFaultKind.DropResponse).ConfigureAwait(false);
    }

    private async Task IngestAsync(Exchange exchange, bool dropResponse)
    {
        var body = exchange.Body!;
        var endpoint = exchange.Endpoint!.Value;
        switch (body.Status)
        {
            case BodyStatus.TooLarge:
                await RespondErrorAsync(exchange, StatusCodes.Status413PayloadTooLarge, string.Create(
                        CultureInfo.InvariantCulture,
                        $"the request body is larger than {IngestionLimits.MaxBodyBytes(endpoint == MixpanelEndpoint.Import)} bytes"))
                    .ConfigureAwait(false);
                return;
            case BodyStatus.UnsupportedEncoding:
                await RespondErrorAsync(exchange, StatusCodes.Status415UnsupportedMediaType, "only gzip Content-Encoding is accepted")
                    .ConfigureAwait(false);
                return;
            case BodyStatus.CorruptEncoding:
                await RespondErrorAsync(exchange, StatusCodes.Status400BadRequest, "the body is not valid gzip").ConfigureAwait(false);
                return;
        }

        var request = exchange.Context.Request;
        using var payload = Payload.From(body.Decoded, request.ContentType, exchange.Parameters);
        if (exchange.Format.CallbackError is { } callbackError)
        {
            await RespondErrorAsync(exchange, StatusCodes.Status400BadRequest, callbackError).ConfigureAwait(false);
            return;
        }

        if (endpoint == MixpanelEndpoint.Import && ImportCredentials.Refusal(request, exchange.Parameters, options) is { } refusal)
        {
            await RespondErrorAsync(exchange, StatusCodes.Status401Unauthorized, refusal).ConfigureAwait(false);
            return;
        }

        if (payload.Error is { } payloadError)
        {
            await RespondErrorAsync(exchange, StatusCodes.Status400BadRequest, payloadError).ConfigureAwait(false);
            return;
        }

        using var slots = new RecordSlots();
        var token = endpoint == MixpanelEndpoint.Import ? null : options.ProjectToken;
        var validation = new ValidationContext(
            endpoint,
            token,
            options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds(),
            exchange.Parameters.Strict);
        var verdict = BatchValidator.Validate(payload.Json.Span, payload.Shape, validation, slots, out var error);
        exchange.RecordCount = slots.Count;
        if (verdict != BatchVerdict.Parsed)
        {
            await RespondErrorAsync(exchange, StatusCodes.Status400BadRequest, error ?? "malformed request").ConfigureAwait(false);
            return;
        }

        if (slots.TokenMismatch)
        {
            await RespondErrorAsync(exchange, StatusCodes.Status401Unauthorized, "a record's project token is missing or wrong")
                .ConfigureAwait(false);
            return;
        }

        var ingest = slots.RejectedCount == 0 || !options.RejectWholeBatchOnError;
        exchange.AcceptedCount = ingest ? slots.Count - slots.RejectedCount : 0;
        exchange.RejectedCount = slots.RejectedCount;
        if (exchange.Retain)
        {
            exchange.Records = BuildRecords(payload.Json, slots, exchange, ingest);
        }

        Answer answer;
        string? responseError = null;
        if (slots.RejectedCount == 0)
        {
            answer = exchange.Format.Success(exchange.AcceptedCount);
        }
        else
        {
            var failures = Failures(payload.Json, slots, endpoint, exchange.Index, exchange.Retain, out var rejected);
            exchange.Rejected = rejected;

            answer = exchange.Format.FailedRecords(exchange.AcceptedCount, failures);
            responseError = ingest
                ? string.Create(CultureInfo.InvariantCulture, $"{slots.RejectedCount} of {slots.Count} records failed validation; the rest were ingested")
                : string.Create(CultureInfo.InvariantCulture, $"{slots.RejectedCount} of {slots.Count} records failed validation; none were ingested");
        }

        if (dropResponse)
        {
            Record(exchange, statusCode: null, response: null, "ingested, then the response was dropped by a scripted fault");
            exchange.Context.Abort();
            return;
        }

        await RespondAsync(exchange, answer, responseError).ConfigureAwait(false);
    }

    private static ReceivedRecord[]? BuildRecords(ReadOnlyMemory<byte> json, RecordSlots slots, Exchange exchange, bool ingest)
    {
        if (!ingest || slots.Count == slots.RejectedCount)
        {
            return null;
        }

        var endpoint = exchange.Endpoint!.Value;
        var records = new ReceivedRecord[slots.Count - slots.RejectedCount];
        var next = 0;
        foreach (var slot in slots.Items)
        {
            if (slot.Field is null)
            {
                // ParseValue builds an element that owns its own copy: the record's Clone() then costs nothing more.
                var reader = new Utf8JsonReader(json.Span.Slice(slot.Start, slot.Length));
                var element = JsonElement.ParseValue(ref reader);
                records[next++] = new ReceivedRecord(endpoint, element, 0, exchange.Index)
                {
                    GeolocationIp = Geolocation.AddressOf(element, endpoint, exchange.Parameters.Ip, exchange.ClientAddress),
                };
            }
        }

        return records;
    }

    // The failed_records entries and, when records are retained, the rejected records: each rejected record is read once.
    private static List<FailedRecord> Failures(
        ReadOnlyMemory<byte> json,
        RecordSlots slots,
        MixpanelEndpoint endpoint,
        int requestIndex,
        bool retain,
        out RejectedRecord[]? rejected)
    {
        var isEvent = endpoint is MixpanelEndpoint.Track or MixpanelEndpoint.Import;
        var failures = new List<FailedRecord>(slots.RejectedCount);
        rejected = retain ? new RejectedRecord[slots.RejectedCount] : null;
        var index = 0;
        foreach (var slot in slots.Items)
        {
            if (slot.Field is not null)
            {
                var text = json.Slice(slot.Start, slot.Length);
                var (element, insertId) = retain || isEvent ? Read(text, readInsertId: isEvent, clone: retain) : default;
                var failure = new FailedRecord(index, insertId, slot.Field, slot.Message ?? "");
                if (rejected is not null)
                {
                    rejected[failures.Count] = new RejectedRecord(
                        endpoint,
                        requestIndex,
                        index,
                        element,
                        Encoding.UTF8.GetString(text.Span),
                        insertId,
                        failure.Field,
                        failure.Message);
                }

                failures.Add(failure);
            }

            index++;
        }

        return failures;
    }

    // A rejected record's own copy of its JSON (default when not asked for, or when it cannot be loaded) and its string
    // $insert_id, from one parse.
    private static (JsonElement Element, string? InsertId) Read(ReadOnlyMemory<byte> text, bool readInsertId, bool clone)
    {
        try
        {
            using var document = JsonDocument.Parse(text, DocumentOptions);
            var root = document.RootElement;
            var insertId = readInsertId && root.ValueKind == JsonValueKind.Object && root.TryGetProperty("properties", out var properties)
                ? RecordReading.GetString(properties, "$insert_id")
                : null;
            return (clone ? root.Clone() : default, insertId);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private Task RespondErrorAsync(Exchange exchange, int statusCode, string message) =>
        RespondAsync(exchange, exchange.Format.Error(statusCode, message), message);

    private async Task RespondAsync(Exchange exchange, Answer answer, string? error)
    {
        Record(exchange, answer.StatusCode, answer.Body, error);
        var response = exchange.Context.Response;
        CrossOrigin.Allow(exchange.Context.Request, response);
        response.StatusCode = answer.StatusCode;
        response.ContentType = answer.ContentType;
        response.ContentLength = answer.Body.Length;
        await response.Body.WriteAsync(answer.Body, exchange.Context.RequestAborted).ConfigureAwait(false);
    }

    private async Task FailAsync(Exchange exchange, Exception exception, CancellationToken stopping)
    {
        var context = exchange.Context;

        // Whatever the request had got to, nothing of it is ingested.
        exchange.AcceptedCount = 0;
        exchange.RejectedCount = 0;
        exchange.Records = null;
        exchange.Rejected = null;
        var clientGone = context.RequestAborted.IsCancellationRequested
            || stopping.IsCancellationRequested
            || exception is IOException or OperationCanceledException or BadHttpRequestException;
        if (!exchange.Recorded && !clientGone && !context.Response.HasStarted)
        {
            try
            {
                var message = "the local server failed: " + exception.Message;
                context.Response.Headers.Clear();
                await RespondAsync(exchange, AnswerFormat.Plain(StatusCodes.Status500InternalServerError, ResponseBodies.Error(500, message)), message)
                    .ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client went away while hearing about it; recorded below if it was not already.
            }
        }

        if (!exchange.Recorded)
        {
            Record(exchange, statusCode: null, response: null, exchange.Error ?? "no answer: " + exception.Message);
        }

        context.Abort();
    }

    private void Record(Exchange exchange, int? statusCode, byte[]? response, string? error)
    {
        exchange.Recorded = true;
        exchange.Error = error;
        var request = exchange.Retain ? exchange.ToReceivedRequest(statusCode, response) : null;
        recorder.Complete(
            request,
            exchange.AcceptedCount,
            exchange.Records,
            exchange.RejectedCount,
            exchange.Rejected,
            exchange.ReceivedAt.ToUnixTimeMilliseconds());
        notify();
    }
}
