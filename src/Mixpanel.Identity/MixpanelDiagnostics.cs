using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;

namespace Mixpanel.Identity;

/// <summary>
/// Live counters of what the client has done with the app's records: read them at any time from any thread. The same
/// figures are published as <see cref="System.Diagnostics.Metrics"/> instruments on the <c>Mixpanel.Identity</c> meter.
/// </summary>
public sealed class MixpanelDiagnostics
{
    private static readonly DropReason[] AllReasons =
    [
        DropReason.QueueFull, DropReason.Expired, DropReason.Rejected, DropReason.TooLarge, DropReason.OptedOut,
        DropReason.Reset, DropReason.Corrupt, DropReason.Disposed, DropReason.NotIdentified, DropReason.Filtered, DropReason.HookFailed,
        DropReason.Crawler,
    ];

    private readonly DeliveryCounters _counters;
    private readonly Func<DeliveryStatus> _status;

    /// <summary>Diagnostics of a client that has done nothing: every count 0, in memory, not halted. For a fake of <see cref="IMixpanelClient"/>.</summary>
    public MixpanelDiagnostics()
        : this(new DeliveryCounters())
    {
    }

    /// <summary>Diagnostics of records counted in <paramref name="counters"/> and never sent: in memory, not halted. For a fake's own rules.</summary>
    internal MixpanelDiagnostics(DeliveryCounters counters)
        : this(counters, static () => new DeliveryStatus(false, null))
    {
    }

    internal MixpanelDiagnostics(DeliveryCounters counters, Func<DeliveryStatus> status)
    {
        _counters = counters;
        _status = status;
    }

    /// <summary>Records (events and profile updates) accepted from the app by this client.</summary>
    public long Accepted => _counters.Accepted;

    /// <summary>Records written to the durable queue (or to the in-memory queue when storage is in memory).</summary>
    public long Persisted => _counters.Persisted;

    /// <summary>Records acknowledged by Mixpanel.</summary>
    public long Sent => _counters.Sent;

    /// <summary>Requests retried after a transient failure (429, 5xx, network error, timeout).</summary>
    public long Retried => _counters.Retried;

    /// <summary>Records accepted (or recovered from disk at start-up) and not yet sent or dropped.</summary>
    public long Queued => _counters.Queued;

    /// <summary>Records dropped for any reason.</summary>
    public long Dropped => AllReasons.Sum(_counters.GetDropped);

    /// <summary>Records dropped, per reason (every reason is present, with 0 where nothing was dropped).</summary>
    public IReadOnlyDictionary<DropReason, long> DroppedByReason => AllReasons.ToDictionary(reason => reason, _counters.GetDropped);

    /// <summary>Whether records are kept on disk (false: in memory, by option or because the storage directory was unusable).</summary>
    public bool IsDurable => _status().IsDurable;

    /// <summary>
    /// Whether delivery has stopped because Mixpanel refused the project token or credentials (HTTP 401/403). Records
    /// stay queued for a client started with a corrected configuration.
    /// </summary>
    public bool IsDeliveryHalted => _status().HaltedStatusCode is not null;

    /// <summary>The HTTP status that halted delivery, if it is halted.</summary>
    public int? DeliveryHaltedStatusCode => _status().HaltedStatusCode;

    /// <summary>Records dropped for <paramref name="reason"/>.</summary>
    /// <param name="reason">The reason to read.</param>
    public long GetDropped(DropReason reason) => _counters.GetDropped(reason);
}
