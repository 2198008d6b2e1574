using System.Buffers.Binary;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// An <c>$insert_id</c> derived from an event's JSON: the same event always gets the same id, so importing the same
/// history twice adds nothing. 128 bits of a fast non-cryptographic hash (the xxHash64 construction, run with two
/// seeds), as 32 lowercase hex digits. Not a defence against crafted collisions: the events are the caller's own.
/// </summary>
internal static class ContentIds
{
    public const int Length = 32;

    private const ulong Prime1 = 11400714785074694791UL;
    private const ulong Prime2 = 14029467366897019727UL;
    private const ulong Prime3 = 1609587929392839161UL;
    private const ulong Prime4 = 9650029242287828579UL;
    private const ulong Prime5 = 2870177450012600261UL;

    /// <summary>Writes the id of <paramref name="json"/> into <paramref name="destination"/> (<see cref="Length"/> characters).</summary>
    public static void Write(ReadOnlySpan<byte> json, Span<char> destination)
    {
        WriteHex(Hash(json, seed: 0), destination);
        WriteHex(Hash(json, seed: Prime5), destination.Slice(16));
    }

    public static string Of(ReadOnlySpan<byte> json)
    {
        Span<char> text = stackalloc char[Length];
        Write(json, text);
        return text.ToString();
    }

    /// <summary>xxHash64 of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed)
    {
        var length = (ulong)data.Length;
        ulong hash;
        if (data.Length >= 32)
        {
            var v1 = seed + Prime1 + Prime2;
            var v2 = seed + Prime2;
            var v3 = seed;
            var v4 = seed - Prime1;
            do
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(8)));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(16)));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(24)));
                data = data.Slice(32);
            }
            while (data.Length >= 32);

            hash = RotateLeft(v1, 1) + RotateLeft(v2, 7) + RotateLeft(v3, 12) + RotateLeft(v4, 18);
            hash = Merge(hash, v1);
            hash = Merge(hash, v2);
            hash = Merge(hash, v3);
            hash = Merge(hash, v4);
        }
        else
        {
            hash = seed + Prime5;
        }

        hash += length;
        while (data.Length >= 8)
        {
            hash ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data));
            hash = (RotateLeft(hash, 27) * Prime1) + Prime4;
            data = data.Slice(8);
        }

        if (data.Length >= 4)
        {
            hash ^= BinaryPrimitives.ReadUInt32LittleEndian(data) * Prime1;
            hash = (RotateLeft(hash, 23) * Prime2) + Prime3;
            data = data.Slice(4);
        }

        foreach (var b in data)
        {
            hash ^= b * Prime5;
            hash = RotateLeft(hash, 11) * Prime1;
        }

        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime3;
        hash ^= hash >> 32;
        return hash;
    }

    private static ulong Round(ulong accumulator, ulong input)
    {
        accumulator += input * Prime2;
        accumulator = RotateLeft(accumulator, 31);
        return accumulator * Prime1;
    }

    private static ulong Merge(ulong hash, ulong accumulator)
    {
        hash ^= Round(0, accumulator);
        return (hash * Prime1) + Prime4;
    }

    private static ulong RotateLeft(ulong value, int offset) => (value << offset) | (value >> (64 - offset));

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
