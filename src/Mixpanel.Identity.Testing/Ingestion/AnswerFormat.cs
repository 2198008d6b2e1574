using System.Buffers;
using System.Text;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>What goes out: the status code, the content type and the body.</summary>
internal readonly record struct Answer(int StatusCode, string ContentType, byte[] Body);

/// <summary>
/// How a request asked to be answered, from its endpoint and parameters: a bare <c>1</c>; JSON with <c>verbose=1</c>;
/// <c>/import?strict=1</c>'s JSON; and around any of these a tracking pixel (<c>img=1</c>) or a JavaScript call
/// (<c>callback=fn</c>, JSONP, as Mixpanel's browser library uses where it cannot make XHR requests).
/// </summary>
internal readonly struct AnswerFormat(MixpanelEndpoint? endpoint, RequestParameters parameters)
{
    // What a JSONP callback may be: a name, a member path such as mixpanel._jsc[12345], or mixpanel-js's no-op
    // "(function(){})". Anything else would be script written by whoever wrote the URL.
    private static readonly SearchValues<char> CallbackCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.[]'\"(){} ");

    private const int MaxCallbackLength = 256;

    private bool IsImport => endpoint == MixpanelEndpoint.Import;

    // /import?strict=1 answers with its own JSON shapes, the rest with 1/0 or verbose JSON.
    private bool IsStrictImport => IsImport && parameters.Strict;

    /// <summary>Why the callback cannot be used; <see langword="null"/> when there is none or it is fine.</summary>
    public string? CallbackError =>
        parameters.Callback is { } callback
        && (callback.Length > MaxCallbackLength || callback.AsSpan().ContainsAnyExcept(CallbackCharacters))
            ? "callback must be a JavaScript function name or member path"
            : null;

    public Answer Success(int imported)
    {
        if (IsStrictImport)
        {
            return Wrap(200, ResponseBodies.ImportSuccess(imported), accepted: true);
        }

        return parameters.Verbose
            ? Wrap(200, ResponseBodies.VerboseSuccess, accepted: true)
            : Wrap(200, ResponseBodies.Success, accepted: true);
    }

    public Answer Error(int statusCode, string message) =>
        Wrap(
            statusCode,
            IsStrictImport || (IsImport && statusCode == 401)
                ? ResponseBodies.ImportError(statusCode, message)
                : ResponseBodies.Error(statusCode, message),
            accepted: false);

    public Answer FailedRecords(int imported, IEnumerable<FailedRecord> failures) =>
        Wrap(400, ResponseBodies.FailedRecords(imported, failures, importShape: IsStrictImport), accepted: false);

    /// <summary>A body as it stands, for answers that are not Mixpanel's (scripted faults): JSON, or <c>1</c> as text.</summary>
    public static Answer Plain(int statusCode, byte[] body) =>
        new(statusCode, body.Length == 1 ? "text/plain" : "application/json", body);

    private Answer Wrap(int statusCode, byte[] body, bool accepted)
    {
        if (parameters.Img)
        {
            return new Answer(statusCode, "image/gif", ResponseBodies.Pixel);
        }

        if (parameters.Callback is { } callback && CallbackError is null)
        {
            // A script runs only from a 2xx answer, so the verdict travels in the call: 1 or 0, or the verbose JSON.
            var argument = parameters.Verbose || IsStrictImport ? Encoding.UTF8.GetString(body) : accepted ? "1" : "0";
            return new Answer(200, "text/javascript", Encoding.UTF8.GetBytes(callback + "(" + argument + ");"));
        }

        return Plain(statusCode, body);
    }
}
