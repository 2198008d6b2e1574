using System.Buffers;
using System.Text.Unicode;

namespace Mixpanel.Identity.AspNetCore.Text;

/// <summary>Percent-decoding with the rules of JavaScript's <c>decodeURIComponent</c>, which Mixpanel's browser library uses.</summary>
internal static class UriComponent
{
    private const int StackLimit = 256;

    /// <summary>
    /// Decodes <paramref name="encoded"/>; false where <c>decodeURIComponent</c> would throw: a <c>%</c> not followed by
    /// two hex digits, or escapes that are not UTF-8. <c>+</c> stays <c>+</c>.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> encoded, out string decoded)
    {
        if (encoded.IndexOf('%') < 0)
        {
            decoded = encoded.ToString();
            return true;
        }

        char[]? rentedChars = null;
        byte[]? rentedBytes = null;
        try
        {
            // Every escape is three characters for one byte, and a byte decodes to at most one character.
            var chars = encoded.Length <= StackLimit
                ? stackalloc char[StackLimit]
                : rentedChars = ArrayPool<char>.Shared.Rent(encoded.Length);
            var bytes = encoded.Length / 3 <= StackLimit
                ? stackalloc byte[StackLimit]
                : rentedBytes = ArrayPool<byte>.Shared.Rent(encoded.Length / 3);
            return TryDecode(encoded, chars, bytes, out decoded);
        }
        finally
        {
            if (rentedChars is not null)
            {
                ArrayPool<char>.Shared.Return(rentedChars);
            }

            if (rentedBytes is not null)
            {
                ArrayPool<byte>.Shared.Return(rentedBytes);
            }
        }
    }

    private static bool TryDecode(ReadOnlySpan<char> encoded, Span<char> chars, Span<byte> bytes, out string decoded)
    {
        decoded = string.Empty;
        var written = 0;
        var i = 0;
        while (i < encoded.Length)
        {
            if (encoded[i] != '%')
            {
                chars[written++] = encoded[i++];
                continue;
            }

            // A run of escapes is decoded together: one character may take up to four of them.
            var count = 0;
            while (i < encoded.Length && encoded[i] == '%')
            {
                if (i + 2 >= encoded.Length || !TryHex(encoded[i + 1], encoded[i + 2], out var value))
                {
                    return false;
                }

                bytes[count++] = value;
                i += 3;
            }

            var status = Utf8.ToUtf16(bytes[..count], chars[written..], out _, out var charsWritten, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                return false;
            }

            written += charsWritten;
        }

        decoded = new string(chars[..written]);
        return true;
    }

    private static bool TryHex(char high, char low, out byte value)
    {
        var h = HexValue(high);
        var l = HexValue(low);
        value = (byte)((h << 4) | l);
        return h >= 0 && l >= 0;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
