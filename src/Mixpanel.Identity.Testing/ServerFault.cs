using System.Globalization;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// A misbehaviour the <see cref="LocalMixpanelServer"/> applies to a request instead of (or before) processing it normally, so a
/// test can exercise a client's retry, backoff and timeout paths. Queue them on <see cref="LocalMixpanelServer.Faults"/>.
/// </summary>
public sealed class ServerFault
{
    private ServerFault(ServerFaultKind kind)
    {
        Kind = kind;
    }

    /// <summary>What the fault does.</summary>
    public ServerFaultKind Kind { get; }

    /// <summary>The status code answered by a <see cref="ServerFaultKind.Status"/> fault; <see langword="null"/> otherwise.</summary>
    public int? StatusCode { get; private init; }

    /// <summary>The <c>Retry-After</c> delay sent in whole seconds (rounded up); <see langword="null"/> when none is sent.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>The <c>Retry-After</c> HTTP date sent; <see langword="null"/> when none is sent.</summary>
    public DateTimeOffset? RetryAfterDate { get; private init; }

    /// <summary>How long a <see cref="ServerFaultKind.Delay"/> fault waits; <see langword="null"/> otherwise.</summary>
    public TimeSpan? DelayDuration { get; private init; }

    /// <summary>The body a <see cref="ServerFaultKind.Status"/> fault answers with instead of Mixpanel's; <see langword="null"/> for Mixpanel's own.</summary>
    public string? Body { get; private init; }

    /// <summary>The content type of <see cref="Body"/>.</summary>
    public string? ContentType { get; private init; }

    /// <summary>The <c>Location</c> header sent (a redirect's target); <see langword="null"/> when none is sent.</summary>
    public Uri? Location { get; private init; }

    /// <summary>
    /// Answers <paramref name="statusCode"/> with a body that is not Mixpanel's, as a proxy, a captive portal or a
    /// misconfigured host would: nothing is ingested. A 3xx with <paramref name="location"/> is a redirect.
    /// </summary>
    /// <param name="statusCode">The HTTP status code, 200 to 599.</param>
    /// <param name="body">The body to send, such as an HTML page.</param>
    /// <param name="contentType">Its content type.</param>
    /// <param name="location">The <c>Location</c> header to send, if any.</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The status code is not 200–599.</exception>
    public static ServerFault Answer(int statusCode, string body, string contentType = "text/html", Uri? location = null)
    {
        ValidateStatusCode(statusCode);
        ArgumentNullException.ThrowIfNull(body);
        return new ServerFault(ServerFaultKind.Status) { StatusCode = statusCode, Body = body, ContentType = contentType, Location = location };
    }

    /// <summary>Answers <paramref name="statusCode"/> without ingesting anything, with <c>Retry-After</c> in seconds if given.</summary>
    /// <param name="statusCode">The HTTP status code, 200 to 599 (429, 500, 502 and 503 are the interesting ones; a 2xx answers success).</param>
    /// <param name="retryAfter">The delay to send as <c>Retry-After: seconds</c> (rounded up to a whole second).</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The status code is not 200–599, or the delay is negative.</exception>
    public static ServerFault Status(int statusCode, TimeSpan? retryAfter = null)
    {
        ValidateStatusCode(statusCode);
        if (retryAfter is { } delay && delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(retryAfter), retryAfter, "Retry-After cannot be negative.");
        }

        return new ServerFault(ServerFaultKind.Status) { StatusCode = statusCode, RetryAfter = retryAfter };
    }

    /// <summary>Answers <paramref name="statusCode"/> without ingesting anything, with <c>Retry-After</c> as an HTTP date.</summary>
    /// <param name="statusCode">The HTTP status code, 200 to 599.</param>
    /// <param name="date">The date to send as <c>Retry-After</c> (sent in RFC 1123 form, to the second, in GMT).</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The status code is not 200–599.</exception>
    public static ServerFault StatusWithRetryAfterDate(int statusCode, DateTimeOffset date)
    {
        ValidateStatusCode(statusCode);
        return new ServerFault(ServerFaultKind.Status) { StatusCode = statusCode, RetryAfterDate = date };
    }

    /// <summary>Reads part of the request body, then aborts the connection: the client sees a network error, nothing is ingested.</summary>
    /// <returns>The fault.</returns>
    public static ServerFault DropConnection() => new(ServerFaultKind.DropConnection);

    /// <summary>
    /// Processes and ingests the request normally, then aborts the connection instead of answering: the client sees a network
    /// error for a batch Mixpanel did keep, and a retry produces duplicates for <see cref="LocalMixpanelServer.DeduplicatedRecords"/>
    /// to fold.
    /// </summary>
    /// <returns>The fault.</returns>
    public static ServerFault DropResponse() => new(ServerFaultKind.DropResponse);

    /// <summary>
    /// Waits <paramref name="delay"/> on <see cref="LocalMixpanelServerOptions.TimeProvider"/>, then processes the request
    /// normally. With a fake time provider the test advances time; <see cref="LocalMixpanelServer.HeldRequestCount"/> tells it
    /// when the server is waiting.
    /// </summary>
    /// <param name="delay">How long to wait.</param>
    /// <returns>The fault.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The delay is negative.</exception>
    public static ServerFault Delay(TimeSpan delay)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "The delay cannot be negative.");
        }

        return new ServerFault(ServerFaultKind.Delay) { DelayDuration = delay };
    }

    /// <summary>
    /// Reads the request and never answers: it is held until the client aborts it or the server stops. Nothing is ingested.
    /// </summary>
    /// <returns>The fault.</returns>
    public static ServerFault NeverRespond() => new(ServerFaultKind.NeverRespond);

    /// <summary>
    /// Sends a 200's headers and the first byte of its body, then holds the rest until the client gives up or the
    /// server stops: a response that stalls half-way. Nothing is ingested.
    /// </summary>
    public static ServerFault StallBody() => new(ServerFaultKind.StallBody);

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ServerFaultKind.Status when RetryAfter is { } after =>
            string.Create(CultureInfo.InvariantCulture, $"Status {StatusCode} (Retry-After {after.TotalSeconds:0.###} s)"),
        ServerFaultKind.Status when RetryAfterDate is { } date =>
            string.Create(CultureInfo.InvariantCulture, $"Status {StatusCode} (Retry-After {date:r})"),
        ServerFaultKind.Status => string.Create(CultureInfo.InvariantCulture, $"Status {StatusCode}"),
        ServerFaultKind.Delay => string.Create(CultureInfo.InvariantCulture, $"Delay {DelayDuration}"),
        _ => Kind.ToString(),
    };

    private static void ValidateStatusCode(int statusCode)
    {
        if (statusCode is < 200 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "A final HTTP status code is between 200 and 599.");
        }
    }
}
