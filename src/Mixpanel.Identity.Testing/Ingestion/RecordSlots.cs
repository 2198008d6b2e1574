using System.Buffers;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>Where each record of one request lies in the payload and whether it passed validation, in a pooled array.</summary>
internal sealed class RecordSlots : IDisposable
{
    private RecordSlot[] _items = ArrayPool<RecordSlot>.Shared.Rent(64);

    public int Count { get; private set; }

    public int RejectedCount { get; private set; }

    public bool TokenMismatch { get; set; }

    public ReadOnlySpan<RecordSlot> Items => _items.AsSpan(0, Count);

    public void Add(in RecordSlot slot)
    {
        if (Count == _items.Length)
        {
            var larger = ArrayPool<RecordSlot>.Shared.Rent(_items.Length * 2);
            _items.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<RecordSlot>.Shared.Return(_items, clearArray: true);
            _items = larger;
        }

        _items[Count++] = slot;
        if (slot.Field is not null)
        {
            RejectedCount++;
        }
    }

    public void Dispose()
    {
        // Cleared so the pooled array does not keep failure messages alive.
        ArrayPool<RecordSlot>.Shared.Return(_items, clearArray: RejectedCount > 0);
        _items = [];
        Count = 0;
    }
}

/// <summary>One record's place in the payload, and the first validation failure found in it, if any.</summary>
internal readonly record struct RecordSlot(int Start, int Length, string? Field, string? Message);
