using System.Globalization;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;

namespace Mixpanel.Identity;

/// <summary>
/// Live counters of what the client has done with the app's records: read them at any time from any thread. The same
/// figures are published as <see cref="System.Diagnostics.Metrics"/> instruments on the meter <see cref="MeterName"/>.
/// </summary>
public sealed class MixpanelDiagnostics
{
    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> the clients' counters are published on: give it to
    /// OpenTelemetry (<c>AddMeter(MixpanelDiagnostics.MeterName)</c>) or to <c>dotnet-counters</c>.
    /// </summary>
    public const string MeterName = "Mixpanel.Identity";

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
    public long Dropped => DeliveryCounters.AllReasons.Sum(_counters.GetDropped);

    /// <summary>Records dropped, per reason (every reason is present, with 0 where nothing was dropped).</summary>
    public IReadOnlyDictionary<DropReason, long> DroppedByReason => DeliveryCounters.AllReasons.ToDictionary(reason => reason, _counters.GetDropped);

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

    /// <summary>
    /// The client's state on one line, for a log or a console: <c>Mixpanel: 120 accepted, 117 sent, 2 queued, 1 dropped
    /// (Rejected 1), 0 retried; on disk; delivering</c>.
    /// </summary>
    /// <returns>The counters, the storage and whether delivery goes on.</returns>
    public override string ToString()
    {
        var status = _status();
        var reasons = DeliveryCounters.AllReasons
            .Select(reason => (Reason: reason, Count: _counters.GetDropped(reason)))
            .Where(static dropped => dropped.Count > 0)
            .Select(static dropped => string.Format(CultureInfo.InvariantCulture, "{0} {1}", dropped.Reason, dropped.Count))
            .ToList();
        var delivery = status.HaltedStatusCode is { } code
            ? string.Format(CultureInfo.InvariantCulture, "halted: Mixpanel answered HTTP {0}", code)
            : "delivering";
        return string.Format(
            CultureInfo.InvariantCulture,
            "Mixpanel: {0} accepted, {1} sent, {2} queued, {3} dropped{4}, {5} retried; {6}; {7}",
            Accepted,
            Sent,
            Queued,
            Dropped,
            reasons.Count > 0 ? " (" + string.Join(", ", reasons) + ")" : string.Empty,
            Retried,
            status.IsDurable ? "on disk" : "in memory",
            delivery);
    }
}
