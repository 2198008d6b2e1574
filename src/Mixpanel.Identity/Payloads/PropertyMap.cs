using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// An immutable, insertion-ordered set of validated properties. Every property value the client holds (event
/// properties, super properties, held profile updates) lives in one of these, so a caller mutating its own dictionary
/// after the call can never change what is sent.
/// </summary>
internal sealed class PropertyMap : IReadOnlyDictionary<string, object?>
{
    // Up to this many entries a linear scan beats hashing; above it an index is built once, on first lookup.
    private const int LinearScanLimit = 8;

    private readonly KeyValuePair<string, object?>[] _items;
    private Dictionary<string, int>? _index;

    public PropertyMap(KeyValuePair<string, object?>[] items) => _items = items;

    public static PropertyMap Empty { get; } = new([]);

    public int Count => _items.Length;

    public ReadOnlySpan<KeyValuePair<string, object?>> Items => _items;

    public IEnumerable<string> Keys => _items.Select(static item => item.Key);

    public IEnumerable<object?> Values => _items.Select(static item => item.Value);

    public object? this[string key] =>
        TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"The property '{key}' is not set.");

    public int IndexOf(string key)
    {
        if (_items.Length <= LinearScanLimit)
        {
            for (var i = 0; i < _items.Length; i++)
            {
                if (string.Equals(_items[i].Key, key, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }

        return (_index ?? BuildIndex()).TryGetValue(key, out var index) ? index : -1;
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out object? value)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            value = null;
            return false;
        }

        value = _items[index].Value;
        return true;
    }

    /// <summary>
    /// A copy with <paramref name="other"/>'s entries added; existing keys are replaced only when
    /// <paramref name="overwrite"/>. This map itself when that changes nothing, so callers can skip saving it.
    /// </summary>
    public PropertyMap With(PropertyMap other, bool overwrite)
    {
        var merged = new List<KeyValuePair<string, object?>>(_items.Length + other.Count);
        merged.AddRange(_items);
        var changed = false;
        foreach (var item in other._items)
        {
            var index = IndexOf(item.Key);
            if (index < 0)
            {
                merged.Add(item);
                changed = true;
            }
            else if (overwrite)
            {
                merged[index] = item;
                changed = true;
            }
        }

        return changed ? new PropertyMap([.. merged]) : this;
    }

    /// <summary>A copy without <paramref name="key"/>; this map itself when the key is absent.</summary>
    public PropertyMap Without(string key)
    {
        var index = IndexOf(key);
        if (index < 0)
        {
            return this;
        }

        var items = new KeyValuePair<string, object?>[_items.Length - 1];
        Array.Copy(_items, 0, items, 0, index);
        Array.Copy(_items, index + 1, items, index, _items.Length - index - 1);
        return new PropertyMap(items);
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Dictionary<string, int> BuildIndex()
    {
        var index = new Dictionary<string, int>(_items.Length, StringComparer.Ordinal);
        for (var i = 0; i < _items.Length; i++)
        {
            index[_items[i].Key] = i;
        }

        // Racing builders produce equal indexes; publishing either is fine.
        Interlocked.CompareExchange(ref _index, index, null);
        return _index;
    }
}
