using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The senders, one per endpoint, with what they share: the flushes waiting on them, the periodic send, whether
/// delivery has halted, and the cancellation of requests on the wire (an opt-out, or stopping). Used by the loop,
/// apart from <see cref="RetryNow"/> and <see cref="CancelSends"/>, which the app's threads call.
/// </summary>
internal sealed class SenderSet : IDisposable
{
    private readonly MixpanelOptions _options;
    private readonly RecordWriter _writer;
    private readonly TimeProvider _time;
    private readonly EndpointSender[] _senders;
    private readonly List<FlushRequest> _flushes = [];

    // An opt-out cancels what is on the wire from the app's thread; the loop takes a fresh source when it purges.
    private readonly object _cancelGate = new();
    private CancellationTokenSource _sendCancel = new();
    private volatile int _haltedStatus;
    private int _retryNow;

    // When whatever is stored goes, full batch or not (a timestamp); 0 while nothing is stored: idle means idle.
    private long _flushDueAt;

    public SenderSet(MixpanelOptions options, HttpSender http, RecordWriter writer, AsyncSignal wake, TimeProvider time, ILogger logger, DeliveryCounters counters, Func<double> random)
    {
        _options = options;
        _writer = writer;
        _time = time;
        _senders = [.. RecordEndpoints.All.Select(endpoint => new EndpointSender(endpoint, options, http, writer, wake, time, logger, counters, random))];
    }

    /// <summary>The status of the answer that halted all delivery (the project's token refused); 0 while it goes on.</summary>
    public int HaltedStatus => _haltedStatus;

    /// <summary>Whether an answer waits to be settled.</summary>
    public bool HasAnswer => _senders.Any(static sender => sender.HasAnswer);

    /// <summary>From any thread: the network is back, what waits to be retried goes at once.</summary>
    public void RetryNow() => Volatile.Write(ref _retryNow, 1);

    /// <summary>From any thread: abandons the requests on the wire.</summary>
    public void CancelSends()
    {
        lock (_cancelGate)
        {
            _sendCancel.Cancel();
        }
    }

    /// <summary>Whether <paramref name="endpoint"/>, with nothing on the wire, would have a full batch with <paramref name="waiting"/> more records.</summary>
    public bool WouldFill(RecordEndpoint endpoint, int waiting) => _senders[(int)endpoint].WouldFill(waiting);

    /// <summary>A record was written to the groups: the periodic send counts from the first record that waits for it.</summary>
    public void OnRecordWritten()
    {
        if (_flushDueAt == 0)
        {
            _flushDueAt = _time.GetTimestamp() + Ticks(_options.FlushInterval);
        }
    }

    /// <summary>A flush reached in the intake's order: it waits for everything appended so far, which is wanted sent now.</summary>
    public void AddFlush(FlushRequest flush)
    {
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            flush.Targets[i] = _writer.Queue[(RecordEndpoint)i].AppendedTotal;
            _senders[i].Drain(flush.Targets[i]);
        }

        _flushes.Add(flush);
    }

    /// <summary>Settles the answers that are in; <paramref name="stopping"/>: a request cancelled is kept for the next start, not dropped.</summary>
    public void Settle(bool stopping)
    {
        foreach (var sender in _senders)
        {
            if (sender.Settle(stopping) is not 0 and var halted)
            {
                _haltedStatus = halted;
            }
        }
    }

    /// <summary>Starts a request on every endpoint that has nothing on the wire, is not waiting to retry, and has something to send.</summary>
    public void Start()
    {
        // Aged events the import log could not take yet: tried again once the disk's pause is over.
        AppendAged();
        if (_haltedStatus != 0)
        {
            CommitSettled();
            return;
        }

        var now = _time.GetTimestamp();
        var retryNow = Interlocked.Exchange(ref _retryNow, 0) == 1;
        var periodic = _flushDueAt != 0 && now >= _flushDueAt;
        if (periodic)
        {
            // The periodic send: whatever is stored goes, full batch or not.
            _flushDueAt = 0;
        }

        CancellationToken token;
        lock (_cancelGate)
        {
            token = _sendCancel.Token;
        }

        foreach (var sender in _senders)
        {
            if (retryNow)
            {
                sender.RetryNow();
            }

            if (periodic)
            {
                sender.Drain(_writer.Queue[sender.Kind].AppendedTotal);
            }

            sender.Start(token);
        }

        AppendAged();

        // Idle means idle: the periodic send is armed only while something is stored or about to be.
        if (_writer.Queue.Count == 0 && _writer.GroupCount == 0)
        {
            _flushDueAt = 0;
        }
        else if (_flushDueAt == 0)
        {
            _flushDueAt = now + Ticks(_options.FlushInterval);
        }
    }

    /// <summary>The user opted out: what each sender holds goes; returns how many records went.</summary>
    public long Purge()
    {
        var discarded = _senders.Sum(static sender => sender.Purge());
        lock (_cancelGate)
        {
            if (_sendCancel.IsCancellationRequested)
            {
                _sendCancel = new CancellationTokenSource();
            }
        }

        return discarded;
    }

    /// <summary>Commits the batches settled and not yet committed (a start commits them once the next request is on its way).</summary>
    public void CommitSettled()
    {
        foreach (var sender in _senders)
        {
            sender.CommitSettled();
        }
    }

    /// <summary>Commits what endpoints with nothing on the wire have consumed meanwhile (trimmed), so that flushes waiting on it complete.</summary>
    public void CommitIdle()
    {
        foreach (var sender in _senders)
        {
            if (!sender.IsBusy)
            {
                sender.Commit();
            }
        }
    }

    public void CompleteFlushes()
    {
        for (var i = _flushes.Count - 1; i >= 0; i--)
        {
            var flush = _flushes[i];
            if (_haltedStatus != 0 || IsCompleted(flush))
            {
                flush.Complete();
                _flushes.RemoveAt(i);
            }
        }
    }

    /// <summary>The loop ended: nobody waits any longer.</summary>
    public void CompleteAllFlushes()
    {
        foreach (var flush in _flushes)
        {
            flush.Complete();
        }
    }

    /// <summary>When the senders have something to do next (the periodic send, a retry, a read again); long.MaxValue when nothing.</summary>
    public long NextDue()
    {
        if (_haltedStatus != 0)
        {
            return long.MaxValue;
        }

        var due = _flushDueAt == 0 ? long.MaxValue : _flushDueAt;
        foreach (var sender in _senders)
        {
            due = Math.Min(due, sender.NextDue());
        }

        return due;
    }

    public void Dispose()
    {
        lock (_cancelGate)
        {
            _sendCancel.Dispose();
        }
    }

    /// <summary>Appends aged events to the import log: they are late already, so they go now, and flushes wait for them there.</summary>
    private void AppendAged()
    {
        if (!_writer.TryAppendAged())
        {
            return;
        }

        var moved = _writer.Queue[RecordEndpoint.Import].AppendedTotal;
        _senders[(int)RecordEndpoint.Import].Drain(moved);
        foreach (var flush in _flushes)
        {
            flush.Targets[(int)RecordEndpoint.Import] = Math.Max(flush.Targets[(int)RecordEndpoint.Import], moved);
        }

        // /track's cursor, held back at them, may move on now.
        var track = _senders[(int)RecordEndpoint.Track];
        if (!track.IsBusy)
        {
            track.Commit();
        }
    }

    private bool IsCompleted(FlushRequest flush)
    {
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            if (_senders[i].HaltedStatus == 0 && _writer.Queue[(RecordEndpoint)i].CompletedTotal < flush.Targets[i])
            {
                return false;
            }
        }

        return true;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
