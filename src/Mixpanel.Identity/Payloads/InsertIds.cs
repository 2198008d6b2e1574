using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// Random UUIDs (version 4) for <c>$insert_id</c>, from the operating system's cryptographic generator, as
/// <see cref="Guid.NewGuid"/> makes them, but drawn in blocks: on Linux <see cref="Guid.NewGuid"/> is one system call
/// per id, which was the largest single cost of writing an event. Safe on any thread: each has its own block.
/// </summary>
internal static class InsertIds
{
    private const int IdBytes = 16;
    private const int IdsPerBlock = 256;

#if !NET
    private static readonly RandomNumberGenerator Generator = RandomNumberGenerator.Create();
#endif

    [ThreadStatic]
    private static byte[]? _block;

    [ThreadStatic]
    private static int _next;

    public static Guid Next()
    {
        var block = _block;
        var next = _next;
        if (block is null || next == block.Length)
        {
            block = _block ??= new byte[IdsPerBlock * IdBytes];
            Fill(block);
            next = 0;
        }

        _next = next + IdBytes;
        var bytes = block.AsSpan(next, IdBytes);

        // RFC 4122 §4.4: version 4 in the high nibble of time_hi_and_version, variant 10 in clock_seq_hi_and_reserved.
        return new Guid(
            BinaryPrimitives.ReadInt32LittleEndian(bytes),
            BinaryPrimitives.ReadInt16LittleEndian(bytes.Slice(4)),
            (short)((BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(6)) & 0x0FFF) | 0x4000),
            (byte)((bytes[8] & 0x3F) | 0x80),
            bytes[9],
            bytes[10],
            bytes[11],
            bytes[12],
            bytes[13],
            bytes[14],
            bytes[15]);
    }

    private static void Fill(byte[] block)
    {
#if NET
        RandomNumberGenerator.Fill(block);
#else
        Generator.GetBytes(block);
#endif
    }
}
