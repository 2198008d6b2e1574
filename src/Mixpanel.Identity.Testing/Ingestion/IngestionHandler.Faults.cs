using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>The scripted faults that hold a request or answer it with a status instead of Mixpanel's answer.</summary>
internal sealed partial class IngestionHandler
{
    private async Task HoldAsync(Exchange exchange, TimeSpan? delay, CancellationToken stopping)
    {
        using var released = CancellationTokenSource.CreateLinkedTokenSource(exchange.Context.RequestAborted, stopping);

        // The timer exists before the request counts as held: a test that sees it held may advance a fake clock at once.
        var wait = delay is { } duration
            ? Task.Delay(duration, options.TimeProvider, released.Token)
            : Task.Delay(Timeout.InfiniteTimeSpan, options.TimeProvider, released.Token);
        recorder.Hold();
        notify();
        try
        {
            await wait.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (delay is null)
        {
            // Never answering ends only this way.
        }
        catch (OperationCanceledException)
        {
            exchange.Error = "the client gave up, or the server stopped, while the request was delayed";
            throw;
        }
        finally
        {
            recorder.Release();
            notify();
        }
    }

    private async Task RespondToStatusFaultAsync(Exchange exchange, ServerFault fault)
    {
        var statusCode = fault.StatusCode ?? StatusCodes.Status500InternalServerError;
        var headers = exchange.Context.Response.Headers;
        if (fault.RetryAfter is { } after)
        {
            headers.RetryAfter = ((long)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        else if (fault.RetryAfterDate is { } date)
        {
            headers.RetryAfter = date.ToString("r", CultureInfo.InvariantCulture);
        }

        if (fault.Location is { } location)
        {
            headers.Location = location.ToString();
        }

        if (fault.Body is { } text)
        {
            var answer = new Answer(statusCode, fault.ContentType ?? "text/plain", System.Text.Encoding.UTF8.GetBytes(text));
            await RespondAsync(exchange, answer, "answered by a scripted fault with a body that is not Mixpanel's").ConfigureAwait(false);
            return;
        }

        if (statusCode is >= 200 and < 300)
        {
            var body = exchange.Parameters.Verbose ? ResponseBodies.VerboseSuccess : ResponseBodies.Success;
            await RespondAsync(exchange, AnswerFormat.Plain(statusCode, body), error: null).ConfigureAwait(false);
            return;
        }

        var message = string.Create(CultureInfo.InvariantCulture, $"answered {statusCode} by a scripted fault");
        await RespondAsync(exchange, AnswerFormat.Plain(statusCode, ResponseBodies.Error(statusCode, message)), message).ConfigureAwait(false);
    }
}
