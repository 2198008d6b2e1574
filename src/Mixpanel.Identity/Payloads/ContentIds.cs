using System.IO.Hashing;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// An <c>$insert_id</c> derived from an event's JSON: the same event always gets the same id, so importing the same
/// history twice adds nothing. The 128 bits of XXH3-128 (one pass over the JSON), as 32 lowercase hex digits. Not a
/// defence against crafted collisions: the events are the caller's own.
/// </summary>
internal static class ContentIds
{
    public const int Length = 32;

    /// <summary>Writes the id of <paramref name="json"/> into <paramref name="destination"/> (<see cref="Length"/> characters).</summary>
    public static void Write(ReadOnlySpan<byte> json, Span<char> destination)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(json, hash);
        const string Digits = "0123456789abcdef";
        for (var i = 0; i < hash.Length; i++)
        {
            destination[2 * i] = Digits[hash[i] >> 4];
            destination[(2 * i) + 1] = Digits[hash[i] & 0xF];
        }
    }

    public static string Of(ReadOnlySpan<byte> json)
    {
        Span<char> text = stackalloc char[Length];
        Write(json, text);
        return text.ToString();
    }
}
