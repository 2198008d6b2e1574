namespace Mixpanel.Identity.Flags;

/// <summary>
/// The exposures a server has sent lately, so that a visitor who hits the same flag on every request is reported
/// once per variant, not once per request. Bounded: past its capacity the oldest entry is forgotten first.
/// </summary>
internal sealed class ExposureCache(int capacity)
{
    /// <summary>The default capacity: posthog-dotnet's, enough for a busy server's working set of visitors and flags.</summary>
    public const int DefaultCapacity = 50_000;

    private readonly HashSet<(string Flag, string DistinctId, string Variant)> _seen = [];
    private readonly Queue<(string Flag, string DistinctId, string Variant)> _order = new();
    private readonly object _gate = new();

    /// <summary>Records the exposure; true the first time it is seen (since it was last forgotten).</summary>
    public bool TryAdd(string flagKey, string distinctId, string variantKey)
    {
        var entry = (flagKey, distinctId, variantKey);
        lock (_gate)
        {
            if (!_seen.Add(entry))
            {
                return false;
            }

            _order.Enqueue(entry);
            if (_order.Count > capacity)
            {
                _seen.Remove(_order.Dequeue());
            }

            return true;
        }
    }
}
