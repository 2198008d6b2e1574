using System.IO.Hashing;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// An <c>$insert_id</c> derived from an event's JSON: the same event always gets the same id, so importing the same
/// history twice adds nothing. 128 bits of a fast non-cryptographic hash (the xxHash64 construction, run with two
/// seeds), as 32 lowercase hex digits. Not a defence against crafted collisions: the events are the caller's own.
/// </summary>
internal static class ContentIds
{
    public const int Length = 32;

    // The second seed: any constant other than 0 does; this is xxHash64's fifth prime.
    private const ulong SecondSeed = 2870177450012600261UL;

    /// <summary>Writes the id of <paramref name="json"/> into <paramref name="destination"/> (<see cref="Length"/> characters).</summary>
    public static void Write(ReadOnlySpan<byte> json, Span<char> destination)
    {
        WriteHex(Hash(json, seed: 0), destination);
        WriteHex(Hash(json, seed: SecondSeed), destination.Slice(16));
    }

    public static string Of(ReadOnlySpan<byte> json)
    {
        Span<char> text = stackalloc char[Length];
        Write(json, text);
        return text.ToString();
    }

    /// <summary>xxHash64 of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed) => XxHash64.HashToUInt64(data, unchecked((long)seed));

    private static void WriteHex(ulong value, Span<char> destination)
    {
        const string Digits = "0123456789abcdef";
        for (var i = 15; i >= 0; i--)
        {
            destination[i] = Digits[(int)(value & 0xF)];
            value >>= 4;
        }
    }
}
