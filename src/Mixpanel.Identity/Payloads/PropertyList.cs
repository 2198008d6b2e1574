using System.Collections;

namespace Mixpanel.Identity.Payloads;

/// <summary>An immutable list property value (a Mixpanel "List"), holding validated elements.</summary>
internal sealed class PropertyList : IReadOnlyList<object?>
{
    private readonly object?[] _items;

    public PropertyList(object?[] items) => _items = items;

    public int Count => _items.Length;

    public object? this[int index] => _items[index];

    public IEnumerator<object?> GetEnumerator() => ((IEnumerable<object?>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
