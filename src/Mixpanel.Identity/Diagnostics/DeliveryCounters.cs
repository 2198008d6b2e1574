using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Mixpanel.Identity.Diagnostics;

/// <summary>
/// The client's counters, kept with interlocked arithmetic and mirrored to the <c>Mixpanel.Identity</c> meter so that
/// OpenTelemetry and <c>dotnet-counters</c> see them too. The meter is made the first time a client counts, or
/// earlier, off the app's thread, by <see cref="PrepareMeter"/>: making it costs a cold process some milliseconds.
/// </summary>
internal sealed class DeliveryCounters
{
    /// <summary>Every reason a record is dropped for, in the order of their values.</summary>
    public static readonly DropReason[] AllReasons =
    [
        DropReason.QueueFull, DropReason.Expired, DropReason.Rejected, DropReason.TooLarge, DropReason.OptedOut,
        DropReason.Reset, DropReason.Corrupt, DropReason.Disposed, DropReason.NotIdentified, DropReason.Filtered, DropReason.HookFailed,
        DropReason.Crawler, DropReason.Disabled, DropReason.StartFailed,
    ];

    private static readonly string[] ReasonTags = CreateReasonTags();

    private readonly long[] _dropped = new long[ReasonTags.Length];
    private long _accepted;
    private long _persisted;
    private long _sent;
    private long _retried;
    private long _queued;

    public long Accepted => Volatile.Read(ref _accepted);

    public long Persisted => Volatile.Read(ref _persisted);

    public long Sent => Volatile.Read(ref _sent);

    public long Retried => Volatile.Read(ref _retried);

    public long Queued => Volatile.Read(ref _queued);

    public long GetDropped(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    public void OnAccepted(long count = 1)
    {
        Interlocked.Add(ref _accepted, count);
        Interlocked.Add(ref _queued, count);
        Instruments.Accepted.Add(count);
        Instruments.Queued.Add(count);
    }

    /// <summary>Records found on disk at start-up, left by an earlier run.</summary>
    public void OnRecovered(long count)
    {
        Interlocked.Add(ref _queued, count);
        Instruments.Queued.Add(count);
    }

    public void OnPersisted(long count) => Interlocked.Add(ref _persisted, count);

    public void OnSent(long count)
    {
        Interlocked.Add(ref _sent, count);
        Interlocked.Add(ref _queued, -count);
        Instruments.Sent.Add(count);
        Instruments.Queued.Add(-count);
    }

    public void OnRetried()
    {
        Interlocked.Increment(ref _retried);
        Instruments.Retried.Add(1);
    }

    /// <summary>Counts a drop; <paramref name="wasQueued"/> says whether the records had been accepted into the queue.</summary>
    public void OnDropped(DropReason reason, long count, bool wasQueued)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _dropped[(int)reason], count);
        Instruments.Dropped.Add(count, new KeyValuePair<string, object?>("reason", ReasonTags[(int)reason]));
        if (wasQueued)
        {
            Interlocked.Add(ref _queued, -count);
            Instruments.Queued.Add(-count);
        }
    }

    /// <summary>Makes the meter and its instruments now, if they are not made yet: a client's start calls it off the app's thread.</summary>
    public static void PrepareMeter() => RuntimeHelpers.RunClassConstructor(typeof(Instruments).TypeHandle);

    private static string[] CreateReasonTags()
    {
        var tags = new string[AllReasons.Length];
        foreach (var reason in AllReasons)
        {
            tags[(int)reason] = reason.ToString();
        }

        return tags;
    }

    private static class Instruments
    {
        private static readonly Meter Meter = new(MixpanelDiagnostics.MeterName, Protocol.LibraryInfo.Current.Version);

        public static readonly Counter<long> Accepted =
            Meter.CreateCounter<long>("mixpanel.records.accepted", "{record}", "Records (events and profile updates) accepted from the app.");

        public static readonly Counter<long> Sent =
            Meter.CreateCounter<long>("mixpanel.records.sent", "{record}", "Records acknowledged by Mixpanel.");

        public static readonly Counter<long> Retried =
            Meter.CreateCounter<long>("mixpanel.requests.retried", "{request}", "Requests to Mixpanel retried after a transient failure.");

        public static readonly Counter<long> Dropped =
            Meter.CreateCounter<long>("mixpanel.records.dropped", "{record}", "Records dropped instead of delivered, by reason.");

        public static readonly UpDownCounter<long> Queued =
            Meter.CreateUpDownCounter<long>("mixpanel.records.queued", "{record}", "Records accepted or recovered and not yet sent or dropped.");
    }
}
