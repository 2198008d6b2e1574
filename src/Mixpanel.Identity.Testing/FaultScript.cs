namespace Mixpanel.Identity.Testing;

/// <summary>
/// The faults a <see cref="LocalMixpanelServer"/> applies to incoming requests: a scripted sequence consumed in order by the
/// requests it matches, then a standing fault until <see cref="Clear"/>. Requests no fault matches are processed normally.
/// Safe to change from a test while the server runs.
/// </summary>
public sealed class FaultScript
{
    // Every request takes this lock once, briefly, to pick its fault.
    private readonly object _gate = new();
    private readonly List<ScriptedFault> _script = [];
    private readonly Dictionary<MixpanelEndpoint, ServerFault> _alwaysByEndpoint = [];
    private ServerFault? _alwaysAnyEndpoint;

    internal FaultScript()
    {
    }

    /// <summary>How many scripted applications are still queued (a fault enqueued 3 times counts 3).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                var pending = 0;
                foreach (var entry in _script)
                {
                    pending += entry.Remaining;
                }

                return pending;
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="fault"/> for the next <paramref name="times"/> requests to <paramref name="endpoint"/> (any
    /// endpoint when <see langword="null"/>). Each request takes the first queued fault that matches it.
    /// </summary>
    /// <param name="fault">The fault to apply.</param>
    /// <param name="times">How many requests it applies to.</param>
    /// <param name="endpoint">The endpoint it is limited to, or <see langword="null"/> for any.</param>
    /// <returns>This script, to chain calls.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fault"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="times"/> is less than 1.</exception>
    public FaultScript Enqueue(ServerFault fault, int times = 1, MixpanelEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        lock (_gate)
        {
            _script.Add(new ScriptedFault(fault, endpoint, times));
        }

        return this;
    }

    /// <summary>
    /// Applies <paramref name="fault"/> to every request to <paramref name="endpoint"/> (any endpoint when <see langword="null"/>)
    /// that no scripted fault claims, until <see cref="Clear"/>. It replaces an earlier standing fault for the same endpoint; a
    /// standing fault for one endpoint takes precedence over one for any endpoint.
    /// </summary>
    /// <param name="fault">The fault to apply.</param>
    /// <param name="endpoint">The endpoint it is limited to, or <see langword="null"/> for any.</param>
    /// <returns>This script, to chain calls.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fault"/> is <see langword="null"/>.</exception>
    public FaultScript Always(ServerFault fault, MixpanelEndpoint? endpoint = null)
    {
        ArgumentNullException.ThrowIfNull(fault);
        lock (_gate)
        {
            if (endpoint is { } only)
            {
                _alwaysByEndpoint[only] = fault;
            }
            else
            {
                _alwaysAnyEndpoint = fault;
            }
        }

        return this;
    }

    /// <summary>Removes every scripted and standing fault: requests are processed normally again.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _script.Clear();
            _alwaysByEndpoint.Clear();
            _alwaysAnyEndpoint = null;
        }
    }

    /// <summary>Picks (and consumes, if scripted) the fault for one request to <paramref name="endpoint"/>.</summary>
    internal ServerFault? Next(MixpanelEndpoint endpoint)
    {
        lock (_gate)
        {
            for (var i = 0; i < _script.Count; i++)
            {
                var entry = _script[i];
                if (entry.Endpoint is { } only && only != endpoint)
                {
                    continue;
                }

                entry.Remaining--;
                if (entry.Remaining == 0)
                {
                    _script.RemoveAt(i);
                }

                return entry.Fault;
            }

            return _alwaysByEndpoint.TryGetValue(endpoint, out var standing) ? standing : _alwaysAnyEndpoint;
        }
    }

    private sealed class ScriptedFault(ServerFault fault, MixpanelEndpoint? endpoint, int times)
    {
        public ServerFault Fault { get; } = fault;

        public MixpanelEndpoint? Endpoint { get; } = endpoint;

        public int Remaining { get; set; } = times;
    }
}
