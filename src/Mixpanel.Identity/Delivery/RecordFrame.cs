using System.Buffers.Binary;
using System.IO.Hashing;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// How one record is laid out in a queue file: a 24-byte header, then the record's JSON.
/// <code>
///   0  u32  payload length
///   4  u32  CRC-32 of bytes 8 .. end of payload
///   8  i64  sequence number (orders records across endpoints)
///  16  i64  event time, ms since the Unix epoch (0 for profile updates)
///  24  ...  payload: the record's JSON object, exactly as it is sent
/// </code>
/// The checksum covers everything but the length, so a write torn by a crash, a zero-filled page after power loss or
/// any other damage is detected rather than sent.
/// </summary>
internal readonly struct RecordFrame
{
    public const int HeaderSize = 24;

    // No real record comes near this: Mixpanel refuses events over 1 MB. A length above it is damage, and is never
    // used to size a read.
    public const int MaxPayloadLength = 4 * 1024 * 1024;

    public RecordFrame(long sequence, long timeMilliseconds, int payloadLength)
    {
        Sequence = sequence;
        TimeMilliseconds = timeMilliseconds;
        PayloadLength = payloadLength;
    }

    public long Sequence { get; }

    public long TimeMilliseconds { get; }

    public int PayloadLength { get; }

    public int TotalLength => HeaderSize + PayloadLength;

    /// <summary>Fills in the header of a frame whose payload was already written at <c>frame[HeaderSize..]</c>.</summary>
    public static void WriteHeader(Span<byte> frame, long sequence, long timeMilliseconds)
    {
        var payloadLength = frame.Length - HeaderSize;
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(8), sequence);
        BinaryPrimitives.WriteInt64LittleEndian(frame.Slice(16), timeMilliseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.Slice(4), Crc32.HashToUInt32(frame.Slice(8)));
    }

    /// <summary>Reads a header; false when the bytes cannot be the start of a frame.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out RecordFrame frame)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var sequence = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(8));
        var time = BinaryPrimitives.ReadInt64LittleEndian(header.Slice(16));
        frame = new RecordFrame(sequence, time, length);
        return length is > 0 and <= MaxPayloadLength && sequence > 0;
    }

    /// <summary>Whether a whole frame (header and payload) is intact.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> wholeFrame)
    {
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(wholeFrame.Slice(4));
        return Crc32.HashToUInt32(wholeFrame.Slice(8)) == expected;
    }

    /// <summary>Appends a frame for an already-serialized payload.</summary>
    public static void Append(ByteBuffer buffer, ReadOnlySpan<byte> payload, long sequence, long timeMilliseconds)
    {
        var span = buffer.GetSpan(HeaderSize + payload.Length).Slice(0, HeaderSize + payload.Length);
        payload.CopyTo(span.Slice(HeaderSize));
        WriteHeader(span, sequence, timeMilliseconds);
        buffer.Advance(span.Length);
    }
}
