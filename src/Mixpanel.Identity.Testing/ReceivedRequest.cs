using System.Globalization;
using System.Text;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// One HTTP request as the <see cref="LocalMixpanelServer"/> received and answered it, whatever its outcome: accepted, refused,
/// faulted, or abandoned by the client.
/// </summary>
public sealed class ReceivedRequest
{
    private string? _decodedBody;

    internal ReceivedRequest()
    {
    }

    /// <summary>
    /// Its position among every request the server has received since it started, from 0 (<see cref="LocalMixpanelServer.Clear"/>
    /// does not reset it); <see cref="ReceivedRecord.RequestIndex"/> refers to it.
    /// </summary>
    public int Index { get; internal init; }

    /// <summary>When it arrived, on the server's <see cref="LocalMixpanelServerOptions.TimeProvider"/>.</summary>
    public DateTimeOffset ReceivedAt { get; internal init; }

    /// <summary>The endpoint it was posted to; <see langword="null"/> for a path that is not a Mixpanel endpoint (answered 404).</summary>
    public MixpanelEndpoint? Endpoint { get; internal init; }

    /// <summary>The HTTP method.</summary>
    public string Method { get; internal init; } = "";

    /// <summary>The request path, such as <c>/track</c>.</summary>
    public string Path { get; internal init; } = "";

    /// <summary>The raw query string including its leading <c>?</c>, or an empty string.</summary>
    public string QueryString { get; internal init; } = "";

    /// <summary>Whether the request asked for a JSON answer (<c>verbose=1</c>, in the query or a form body).</summary>
    public bool Verbose { get; internal init; }

    /// <summary>Whether the request asked Mixpanel to geolocate from its IP address (<c>ip=1</c>, in the query or a form body).</summary>
    public bool Ip { get; internal init; }

    /// <summary>
    /// The address the request came from as Mixpanel sees it: the first <c>X-Forwarded-For</c> entry if there is one (a proxy
    /// in front of Mixpanel sets it), else the connection's remote address, such as <c>127.0.0.1</c>.
    /// </summary>
    public string? ClientAddress { get; internal init; }

    /// <summary>Whether the request asked for strict per-record validation (<c>strict=1</c>, meaningful on <c>/import</c>).</summary>
    public bool Strict { get; internal init; }

    /// <summary>The <c>Content-Type</c> header, if any.</summary>
    public string? ContentType { get; internal init; }

    /// <summary>The <c>Content-Encoding</c> header, if any.</summary>
    public string? ContentEncoding { get; internal init; }

    /// <summary>Every request header; repeated headers are joined with commas. Names compare case-insensitively.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; internal init; } = new Dictionary<string, string>();

    /// <summary>
    /// The body bytes as they arrived (still compressed if they were), up to what the server read: a dropped connection reads
    /// part of it, and an oversized body is kept only up to the limit.
    /// </summary>
    public ReadOnlyMemory<byte> Body { get; internal init; }

    /// <summary>The body decompressed and read as UTF-8; empty when it could not be decoded or was too large.</summary>
    public string DecodedBody => _decodedBody ??= Encoding.UTF8.GetString(DecodedBytes.Span);

    /// <summary>How many records the server parsed from the body; 0 when it did not get that far (a fault, 413, malformed JSON).</summary>
    public int RecordCount { get; internal init; }

    /// <summary>How many of its records were ingested.</summary>
    public int AcceptedRecordCount { get; internal init; }

    /// <summary>How many of its records failed validation.</summary>
    public int RejectedRecordCount { get; internal init; }

    /// <summary>The status code answered; <see langword="null"/> when the server answered nothing (a dropped connection, or a request the client abandoned).</summary>
    public int? StatusCode { get; internal init; }

    /// <summary>The response body sent, or <see langword="null"/> when none was.</summary>
    public string? ResponseBody { get; internal init; }

    /// <summary>Why the request was not (wholly) accepted, in the server's words; <see langword="null"/> when it was.</summary>
    public string? Error { get; internal init; }

    /// <summary>The fault applied to it, if any.</summary>
    public ServerFault? Fault { get; internal init; }

    // Decoded to text only when a test asks: most never do, and the text would double what a request costs to keep.
    internal ReadOnlyMemory<byte> DecodedBytes { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var status = StatusCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "no answer";
        var fault = Fault is null ? "" : $" fault={Fault}";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"#{Index} {Method} {Path}{QueryString} → {status}, {RecordCount} record(s), {AcceptedRecordCount} accepted{fault}");
    }
}
