using System.Buffers.Binary;
using System.IO.Hashing;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// How one record is laid out in a queue file: a 48-byte header, then the record's JSON exactly as it is sent.
/// <code>
///   0  u32  magic "MPQ2"
///   4  u32  payload length
///   8  u32  CRC-32 of bytes 12 .. end of payload
///  12  u32  reserved (0)
///  16  i64  number: consecutive within its log, from 1, so that a gap says exactly how many records were lost
///  24  i64  sequence: across the three logs of a queue, so that the oldest record overall goes first when trimming
///  32  i64  event time, ms since the Unix epoch (0 for profile updates)
///  40  i64  release tag: non-zero on held profile updates released by Identify (see IdentityState.PendingRelease)
///  48  ...  payload
/// </code>
/// The checksum covers everything after itself, so a torn write, a zero-filled page after power loss or any other
/// damage is detected rather than sent; the magic lets a reader find the next intact frame after damage.
/// </summary>
internal readonly record struct RecordFrame(int PayloadLength, long Number, long Sequence, long TimeMilliseconds, long ReleaseTag)
{
    public const int HeaderSize = 48;
    public const uint Magic = 0x3251504D; // "MPQ2" little-endian

    // No real record comes near this: Mixpanel refuses events over 1 MB. A length above it is damage, and is never
    // used to size a read.
    public const int MaxPayloadLength = 4 * 1024 * 1024;

    public int TotalLength => HeaderSize + PayloadLength;

    /// <summary>Fills in the header of the frame at <paramref name="start"/>, whose payload runs from <c>start + HeaderSize</c> to the buffer's end.</summary>
    public static void Seal(ByteBuffer buffer, int start, long number, long sequence, long timeMilliseconds, long releaseTag)
    {
        var frame = buffer.Array.AsSpan(start, buffer.Length - start);
        BinaryPrimitives.WriteUInt32LittleEndian(frame, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(frame.Slice(4), frame.Length - HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(12), 0);
        BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(16), number);
        BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(24), sequence);
        BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(32), timeMilliseconds);
        BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(40), releaseTag);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(8), Crc32.HashToUInt32(frame.Slice(12)));
    }

    /// <summary>
    /// Reads the next record of <paramref name="from"/> into a new frame at the end of <paramref name="into"/>, starting at
    /// <paramref name="start"/>, for <see cref="Seal"/> to number; false, with nothing left, when it turned out damaged.
    /// </summary>
    public static bool TryReadNext(IRecordLog from, ByteBuffer into, out int start)
    {
        start = into.Length;
        into.GetSpan(HeaderSize);
        into.Advance(HeaderSize);
        if (from.ReadNext(into))
        {
            return true;
        }

        into.Truncate(start);
        return false;
    }

    /// <summary>Reads a header; false when the bytes cannot be the start of a frame.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> bytes, out RecordFrame frame)
    {
        frame = default;
        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(4));
        var number = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(16));
        frame = new RecordFrame(
            length,
            number,
            BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(24)),
            BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(32)),
            BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(40)));
        return length is > 0 and <= MaxPayloadLength && number > 0;
    }

    /// <summary>Whether a whole frame (header and payload) is intact.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> wholeFrame) =>
        Crc32.HashToUInt32(wholeFrame.Slice(12)) == BinaryPrimitives.ReadUInt32LittleEndian(wholeFrame.Slice(8));

    /// <summary>
    /// The next intact frame in <paramref name="bytes"/> at or after <paramref name="from"/>: its offset, or -1 when
    /// there is none. Used to step over damage.
    /// </summary>
    public static int FindIntact(ReadOnlySpan<byte> bytes, int from)
    {
        for (var offset = from; offset + HeaderSize <= bytes.Length; offset++)
        {
            var rest = bytes.Slice(offset);
            if (rest[0] == (byte)(Magic & 0xFF) && TryReadHeader(rest, out var header) && header.TotalLength <= rest.Length &&
                IsIntact(rest.Slice(0, header.TotalLength)))
            {
                return offset;
            }
        }

        return -1;
    }
}
