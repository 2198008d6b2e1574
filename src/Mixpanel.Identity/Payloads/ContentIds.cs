using System.IO.Hashing;
using System.Text;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// An <c>$insert_id</c> derived from an event's JSON: the same event always gets the same id, so importing the same
/// history twice adds nothing. The 128 bits of XXH3-128 (one pass over the JSON), as 32 lowercase hex digits. Not a
/// defence against crafted collisions: the events are the caller's own.
/// </summary>
internal static class ContentIds
{
    public const int Length = 32;

    /// <summary>Writes the id of <paramref name="json"/> into <paramref name="destination"/>, as <see cref="Length"/> ASCII bytes.</summary>
    public static void Write(ReadOnlySpan<byte> json, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[16];
        XxHash128.Hash(json, hash);
        var digits = "0123456789abcdef"u8;
        for (var i = 0; i < hash.Length; i++)
        {
            destination[2 * i] = digits[hash[i] >> 4];
            destination[(2 * i) + 1] = digits[hash[i] & 0xF];
        }
    }

    public static string Of(ReadOnlySpan<byte> json)
    {
        Span<byte> id = stackalloc byte[Length];
        Write(json, id);
        return Encoding.ASCII.GetString(id.ToArray());
    }
}
