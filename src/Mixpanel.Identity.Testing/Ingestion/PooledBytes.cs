using System.Buffers;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>A growable byte buffer rented from the shared pool, so a request's body costs no garbage.</summary>
internal sealed class PooledBytes : IDisposable
{
    private byte[] _array;

    public PooledBytes(int initialCapacity)
    {
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 256));
    }

    public int Length { get; set; }

    public byte[] Array => _array;

    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    /// <summary>Free space at the end, grown (up to <paramref name="maxCapacity"/>) when none is left; empty when at the cap.</summary>
    public Memory<byte> FreeSpace(int maxCapacity)
    {
        if (Length == _array.Length && _array.Length < maxCapacity)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(maxCapacity, _array.Length * 2));
            _array.AsSpan(0, Length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }

        return _array.AsMemory(Length, Math.Min(_array.Length, maxCapacity) - Length);
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        Length = 0;
    }
}
