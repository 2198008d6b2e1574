using System.Buffers;
using System.Buffers.Text;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The JSON records inside a decoded body, whichever of Mixpanel's forms it came in: a JSON array
/// (<c>application/json</c>), one record per line (<c>application/x-ndjson</c>), or the legacy form field
/// <c>data=&lt;json&gt;</c> / <c>data=&lt;base64 json&gt;</c> (<c>application/x-www-form-urlencoded</c>).
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

    /// <summary>Why the body holds no records to read; <see langword="null"/> when it does.</summary>
    public string? Error { get; }

    public static Payload From(PooledBytes body, string? contentType)
    {
        var bytes = body.Memory;
        if (bytes.Span.StartsWith("\uFEFF"u8))
        {
            // A byte order mark is not JSON, but some clients write one: tolerate it.
            bytes = bytes[3..];
        }

        var mediaType = MediaType(contentType);
        if (mediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/jsonl", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/x-jsonlines", StringComparison.OrdinalIgnoreCase))
        {
            return new Payload(bytes, PayloadShape.NdJson, null, null);
        }

        var isForm = mediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || (mediaType.Length == 0 && bytes.Span.TrimStart(" \t\r\n"u8).StartsWith("data="u8));
        return isForm ? FromForm(bytes.Span) : new Payload(bytes, PayloadShape.Json, null, null);
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

    private static Payload FromForm(ReadOnlySpan<byte> form)
    {
        var rest = form;
        while (!rest.IsEmpty)
        {
            var ampersand = rest.IndexOf((byte)'&');
            var pair = ampersand < 0 ? rest : rest[..ampersand];
            rest = ampersand < 0 ? default : rest[(ampersand + 1)..];
            if (pair.StartsWith("data="u8))
            {
                return FromDataField(pair["data="u8.Length..]);
            }
        }

        return new Payload(default, PayloadShape.Json, null, "the form body has no data field");
    }

    private static Payload FromDataField(ReadOnlySpan<byte> encoded)
    {
        var decoded = new PooledBytes(encoded.Length + 4);
        var length = UrlDecode(encoded, decoded.Array);
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

    private static int UrlDecode(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            if (b == (byte)'+')
            {
                b = (byte)' ';
            }
            else if (b == (byte)'%' && i + 2 < source.Length && IsHex(source[i + 1]) && IsHex(source[i + 2]))
            {
                b = (byte)((HexValue(source[i + 1]) << 4) | HexValue(source[i + 2]));
                i += 2;
            }

            destination[written++] = b;
        }

        return written;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
