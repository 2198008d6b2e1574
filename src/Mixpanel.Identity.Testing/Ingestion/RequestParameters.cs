using System.Text;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>What a request said about geolocating from its address: <c>ip=1</c>, <c>ip=0</c>, or nothing.</summary>
internal enum IpParameter
{
    Unspecified,
    On,
    Off,
}

/// <summary>
/// The parameters Mixpanel reads beside the records, from the query string and, for a form body, from its other fields
/// (a field in the body wins over the same one in the query): <c>verbose</c>, <c>ip</c>, <c>strict</c>, <c>img</c>,
/// <c>callback</c> and <c>project_id</c>. Others (<c>_</c>, <c>test</c>, <c>api_key</c>, ...) are accepted and ignored.
/// </summary>
internal sealed class RequestParameters
{
    public bool Verbose { get; private set; }

    public IpParameter Ip { get; private set; }

    public bool Strict { get; private set; }

    public bool Img { get; private set; }

    /// <summary>The JavaScript function to wrap the answer in (JSONP), as given; not yet checked.</summary>
    public string? Callback { get; private set; }

    public string? ProjectId { get; private set; }

    /// <summary>
    /// The value of the query's first <c>data</c> parameter, still percent-encoded: the records of a request with no body;
    /// null when the query has none.
    /// </summary>
    public ReadOnlyMemory<byte>? QueryData { get; private set; }

    public static RequestParameters FromQuery(string? query)
    {
        var parameters = new RequestParameters();
        if (!string.IsNullOrEmpty(query))
        {
            var text = Encoding.UTF8.GetBytes(query);
            var fields = new FormFields(text.AsSpan().TrimStart((byte)'?'));
            while (fields.MoveNext())
            {
                if (fields.Name.SequenceEqual("data"u8))
                {
                    parameters.QueryData ??= fields.Value.ToArray();
                }
                else
                {
                    parameters.Read(fields.Name, fields.Value);
                }
            }
        }

        return parameters;
    }

    /// <summary>Takes one field; <c>data</c> is the payload's business, not a parameter.</summary>
    public void Read(ReadOnlySpan<byte> name, ReadOnlySpan<byte> encodedValue)
    {
        if (name.SequenceEqual("verbose"u8))
        {
            Verbose = IsOn(encodedValue);
        }
        else if (name.SequenceEqual("ip"u8))
        {
            Ip = IsOn(encodedValue) ? IpParameter.On : IpParameter.Off;
        }
        else if (name.SequenceEqual("strict"u8))
        {
            Strict = IsOn(encodedValue);
        }
        else if (name.SequenceEqual("img"u8))
        {
            Img = IsOn(encodedValue);
        }
        else if (name.SequenceEqual("callback"u8))
        {
            Callback = encodedValue.IsEmpty ? null : UrlDecoding.DecodeToString(encodedValue);
        }
        else if (name.SequenceEqual("project_id"u8))
        {
            ProjectId = UrlDecoding.DecodeToString(encodedValue);
        }
    }

    private static bool IsOn(ReadOnlySpan<byte> value) => value.SequenceEqual("1"u8) || value.SequenceEqual("true"u8);
}

/// <summary>The <c>name=value</c> fields of a query string or a form body, names and values still percent-encoded.</summary>
internal ref struct FormFields(ReadOnlySpan<byte> text)
{
    private ReadOnlySpan<byte> _rest = text;

    public ReadOnlySpan<byte> Name { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        while (!_rest.IsEmpty)
        {
            var ampersand = _rest.IndexOf((byte)'&');
            var pair = ampersand < 0 ? _rest : _rest[..ampersand];
            _rest = ampersand < 0 ? default : _rest[(ampersand + 1)..];
            pair = pair.Trim(" \t\r\n"u8);
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf((byte)'=');
            Name = equals < 0 ? pair : pair[..equals];
            Value = equals < 0 ? default : pair[(equals + 1)..];
            return true;
        }

        return false;
    }
}

/// <summary>Percent-decoding of form fields and query parameters, where <c>+</c> is a space.</summary>
internal static class UrlDecoding
{
    /// <summary>Decodes into <paramref name="destination"/>, which must be at least as long as the source.</summary>
    public static int Decode(ReadOnlySpan<byte> source, Span<byte> destination)
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

    public static string DecodeToString(ReadOnlySpan<byte> source)
    {
        var decoded = source.Length <= 512 ? stackalloc byte[source.Length] : new byte[source.Length];
        return Encoding.UTF8.GetString(decoded[..Decode(source, decoded)]);
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
