using System.Buffers;
using System.Buffers.Text;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The JSON records of a request, whichever of Mixpanel's forms they came in: a JSON array or a single record
/// (<c>application/json</c>), one record per line (<c>application/x-ndjson</c>), the form field <c>data=</c> holding JSON or
/// base64 of JSON (<c>application/x-www-form-urlencoded</c>, or any body that starts with <c>data=</c>, as
/// <c>navigator.sendBeacon</c> posts it as text), or, with no body, the query parameter <c>data=</c> (a GET, as
/// Mixpanel's browser and node libraries send single records). A form's other fields are request parameters.
/// </summary>
internal sealed class Payload : IDisposable
{
    private readonly PooledBytes? _owned;

    private Payload(ReadOnlyMemory<byte> json, PayloadShape shape, PooledBytes? owned, string? error)
    {
        Json = json;
        Shape = shape;
        _owned = owned;
        Error = error;
    }

    public ReadOnlyMemory<byte> Json { get; }

    public PayloadShape Shape { get; }

    /// <summary>Why the request holds no records to read; <see langword="null"/> when it does.</summary>
    public string? Error { get; }

    public static Payload From(PooledBytes body, string? contentType, RequestParameters parameters)
    {
        var bytes = body.Memory;
        if (bytes.Span.StartsWith("\uFEFF"u8))
        {
            // A byte order mark is not JSON, but some clients write one: tolerate it.
            bytes = bytes[3..];
        }

        var content = bytes.Span.TrimStart(" \t\r\n"u8);
        if (content.IsEmpty)
        {
            return FromQuery(parameters.QueryData);
        }

        var mediaType = MediaType(contentType);
        if (mediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/jsonl", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/x-jsonlines", StringComparison.OrdinalIgnoreCase))
        {
            return new Payload(bytes, PayloadShape.NdJson, null, null);
        }

        // A JSON body cannot start with "data=", so a body that does is a form whatever its declared type.
        var isForm = mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || content.StartsWith("data="u8);
        return isForm ? FromForm(bytes.Span, parameters) : new Payload(bytes, PayloadShape.Json, null, null);
    }

    public void Dispose() => _owned?.Dispose();

    private static string MediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return "";
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
    }

    private static Payload FromForm(ReadOnlySpan<byte> form, RequestParameters parameters)
    {
        var fields = new FormFields(form);
        var data = default(ReadOnlySpan<byte>);
        var hasData = false;
        while (fields.MoveNext())
        {
            if (fields.Name.SequenceEqual("data"u8))
            {
                data = hasData ? data : fields.Value;
                hasData = true;
            }
            else
            {
                parameters.Read(fields.Name, fields.Value);
            }
        }

        return hasData ? FromDataField(data) : new Payload(default, PayloadShape.Json, null, "the form body has no data field");
    }

    private static Payload FromQuery(ReadOnlyMemory<byte>? data) => data is { } field
        ? FromDataField(field.Span)
        : new Payload(
            default,
            PayloadShape.Json,
            null,
            "the request carries no records: expected a JSON body, a form field data= or a query parameter data=");

    private static Payload FromDataField(ReadOnlySpan<byte> encoded)
    {
        var decoded = new PooledBytes(encoded.Length + 4);
        var length = UrlDecoding.Decode(encoded, decoded.Array);
        var text = decoded.Array.AsSpan(0, length).Trim(" \t\r\n"u8);
        if (text.IsEmpty)
        {
            decoded.Dispose();
            return new Payload(default, PayloadShape.Json, null, "the data field is empty");
        }

        var offset = length - decoded.Array.AsSpan(0, length).TrimStart(" \t\r\n"u8).Length;
        if (text[0] is (byte)'[' or (byte)'{')
        {
            return new Payload(decoded.Array.AsMemory(offset, text.Length), PayloadShape.Json, decoded, null);
        }

        // Base64: a '+' sent unescaped became a space in form decoding; the URL-safe alphabet is accepted too.
        var base64 = decoded.Array.AsSpan(offset, text.Length);
        base64.Replace((byte)' ', (byte)'+');
        base64.Replace((byte)'-', (byte)'+');
        base64.Replace((byte)'_', (byte)'/');
        var padded = base64.Length;
        while (padded % 4 != 0 && offset + padded < decoded.Array.Length)
        {
            decoded.Array[offset + padded++] = (byte)'=';
        }

        var status = Base64.DecodeFromUtf8InPlace(decoded.Array.AsSpan(offset, padded), out var written);
        if (status != OperationStatus.Done)
        {
            decoded.Dispose();
            return new Payload(default, PayloadShape.Json, null, "the data field is neither JSON nor base64-encoded JSON");
        }

        return new Payload(decoded.Array.AsMemory(offset, written), PayloadShape.Json, decoded, null);
    }
}
