using System.Buffers;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// A growable byte buffer the background loops reuse for every record and request, so that steady-state serialization
/// and batching allocate nothing. Not thread-safe: each loop owns its own.
/// </summary>
internal sealed class ByteBuffer : IBufferWriter<byte>
{
    private byte[] _buffer;

    public ByteBuffer(int initialCapacity = 4096) => _buffer = new byte[initialCapacity];

    public int Length { get; private set; }

    public byte[] Array => _buffer;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, Length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, Length);

    public void Clear() => Length = 0;

    /// <summary>Forgets everything after <paramref name="length"/> bytes (undoes a partial write).</summary>
    public void Truncate(int length) => Length = length;

    public void Advance(int count)
    {
        if (count < 0 || Length + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(Length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(Length);
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[Length++] = value;
    }

    /// <summary>Drops a buffer grown far beyond <paramref name="keep"/> bytes, so one huge request doesn't pin memory forever.</summary>
    public void ShrinkTo(int keep)
    {
        if (_buffer.Length > keep * 4 && Length <= keep)
        {
            var smaller = new byte[keep];
            _buffer.AsSpan(0, Length).CopyTo(smaller);
            _buffer = smaller;
        }
    }

    private void Ensure(int sizeHint)
    {
        var needed = Length + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }

        var grown = new byte[Math.Max(needed, _buffer.Length * 2)];
        _buffer.AsSpan(0, Length).CopyTo(grown);
        _buffer = grown;
    }
}
