using System.Collections;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// A list the server appends to under its lock and hands out as immutable snapshots without copying: appends write past
/// every snapshot's end or into a fresh array, and the rare out-of-order insert copies. Not thread-safe on its own.
/// </summary>
internal sealed class SnapshotList<T>
{
    private T[] _items = [];
    private int _count;

    public void Add(T item)
    {
        if (_count == _items.Length)
        {
            var larger = new T[Math.Max(16, _items.Length * 2)];
            _items.AsSpan(0, _count).CopyTo(larger);
            _items = larger;
        }

        _items[_count++] = item;
    }

    /// <summary>Inserts keeping the list sorted by <paramref name="key"/>; an item that sorts last is simply appended.</summary>
    public void InsertSorted(T item, Func<T, long> key)
    {
        var position = _count;
        var itemKey = key(item);
        while (position > 0 && key(_items[position - 1]) > itemKey)
        {
            position--;
        }

        if (position == _count)
        {
            Add(item);
            return;
        }

        // Snapshots share the array: shifting in place would change what they show, so copy.
        var copy = new T[Math.Max(_items.Length, _count + 1)];
        _items.AsSpan(0, position).CopyTo(copy);
        copy[position] = item;
        _items.AsSpan(position, _count - position).CopyTo(copy.AsSpan(position + 1));
        _items = copy;
        _count++;
    }

    public void Clear()
    {
        // A new array: the old one still backs the snapshots handed out.
        _items = [];
        _count = 0;
    }

    public IReadOnlyList<T> Snapshot() => _count == 0 ? [] : new Snapshot<T>(_items, _count);
}

/// <summary>A fixed view of the first <c>count</c> items of an array that is only ever written beyond them.</summary>
internal sealed class Snapshot<T>(T[] items, int count) : IReadOnlyList<T>
{
    public int Count => count;

    public T this[int index] => (uint)index < (uint)count ? items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < count; i++)
        {
            yield return items[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
