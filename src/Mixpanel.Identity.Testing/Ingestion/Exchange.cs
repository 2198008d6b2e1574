using System.Text;
using Microsoft.AspNetCore.Http;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>One request on its way through <see cref="IngestionHandler"/>: what it asked and what became of it.</summary>
internal sealed class Exchange : IDisposable
{
    public Exchange(HttpContext context, int index, DateTimeOffset receivedAt, bool retain)
    {
        Context = context;
        Index = index;
        ReceivedAt = receivedAt;
        Retain = retain;
        Endpoint = Route(context.Request.Path.Value);
        Parameters = RequestParameters.FromQuery(context.Request.QueryString.Value);
        ClientAddress = Geolocation.ClientAddress(context);
    }

    public HttpContext Context { get; }

    public int Index { get; }

    public DateTimeOffset ReceivedAt { get; }

    public bool Retain { get; }

    public MixpanelEndpoint? Endpoint { get; }

    /// <summary>The query's parameters, and once a form body is read, the form's too.</summary>
    public RequestParameters Parameters { get; }

    public string? ClientAddress { get; }

    public AnswerFormat Format => new(Endpoint, Parameters);

    public ServerFault? Fault { get; set; }

    public RequestBody? Body { get; set; }

    /// <summary>What a dropped connection read of the body.</summary>
    public PooledBytes? Partial { get; set; }

    public int RecordCount { get; set; }

    public int AcceptedCount { get; set; }

    public int RejectedCount { get; set; }

    public ReceivedRecord[]? Records { get; set; }

    public RejectedRecord[]? Rejected { get; set; }

    public string? Error { get; set; }

    public bool Recorded { get; set; }

    public ReceivedRequest ToReceivedRequest(int? statusCode, byte[]? response)
    {
        var request = Context.Request;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Key] = header.Value.ToString();
        }

        var raw = Partial ?? Body?.Raw;
        var rawCopy = raw is null ? [] : raw.Span.ToArray();
        ReadOnlyMemory<byte> decoded = Body switch
        {
            { Status: BodyStatus.Complete, IsInflated: true } body => body.Decoded.Span.ToArray(),
            { Status: BodyStatus.Complete } => rawCopy,
            null when string.IsNullOrEmpty(request.Headers.ContentEncoding) => rawCopy,
            _ => ReadOnlyMemory<byte>.Empty,
        };
        return new ReceivedRequest
        {
            Index = Index,
            ReceivedAt = ReceivedAt,
            Endpoint = Endpoint,
            Method = request.Method,
            Path = request.Path.Value ?? "",
            QueryString = request.QueryString.Value ?? "",
            Verbose = Parameters.Verbose,
            Ip = Parameters.Ip == IpParameter.On,
            Strict = Parameters.Strict,
            ClientAddress = ClientAddress,
            ContentType = request.ContentType,
            ContentEncoding = headers.GetValueOrDefault("Content-Encoding"),
            Headers = headers,
            Body = rawCopy,
            DecodedBytes = decoded,
            RecordCount = RecordCount,
            AcceptedRecordCount = AcceptedCount,
            RejectedRecordCount = RejectedCount,
            StatusCode = statusCode,
            ResponseBody = response is null ? null : Encoding.UTF8.GetString(response),
            Error = Error,
            Fault = Fault,
        };
    }

    public void Dispose()
    {
        Body?.Dispose();
        Partial?.Dispose();
    }

    private static MixpanelEndpoint? Route(string? path)
    {
        var trimmed = (path ?? "").AsSpan().TrimEnd('/');
        return trimmed.Equals("/track", StringComparison.OrdinalIgnoreCase) ? MixpanelEndpoint.Track
            : trimmed.Equals("/engage", StringComparison.OrdinalIgnoreCase) ? MixpanelEndpoint.Engage
            : trimmed.Equals("/groups", StringComparison.OrdinalIgnoreCase) ? MixpanelEndpoint.Groups
            : trimmed.Equals("/import", StringComparison.OrdinalIgnoreCase) ? MixpanelEndpoint.Import
            : null;
    }
}
