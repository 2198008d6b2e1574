using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// One endpoint's sender: reads batches from its log, sends them one request at a time, and settles each by
/// Mixpanel's answer (<see cref="Settlement"/>, as the importer does). It owns the batch being sent and its parts still
/// to send, the batch read and made ready behind it, and its retries. A request runs apart from the loop and wakes it
/// when answered; the loop calls <see cref="Start"/> and <see cref="Settle"/>. Used by the loop alone.
/// </summary>
internal sealed class EndpointSender
{
    private readonly MixpanelOptions _options;
    private readonly HttpSender _http;
    private readonly RecordWriter _writer;
    private readonly AsyncSignal _wake;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly Func<double> _random;
    private readonly BatchReader _reader;

    // Parts of Current still to send: the whole, or runs of it that Mixpanel asked for again (halves, valid records).
    private readonly Stack<(int Start, int Count)> _parts = new();

    // The batch being sent (empty when there is none), and the one read behind it, its body made ready meanwhile.
    private Batch _current;
    private Batch _next;
    private Task<SendResult>? _request;
    private (int Start, int Count) _requestPart;
    private int _attempt;

    // Where a batch settled since the last start ends: its cursor is written once the next request is on its way.
    private ReadMark? _settledUpTo;

    // When the next request may go (a timestamp; 0: at once). The network's return cuts it short; nothing cuts the
    // pause of a file that failed to read, which the reader owns.
    private long _retryAt;

    public EndpointSender(
        RecordEndpoint kind, MixpanelOptions options, HttpSender http, RecordWriter writer, AsyncSignal wake, TimeProvider time, ILogger logger, DeliveryCounters counters, Func<double> random)
    {
        Kind = kind;
        _options = options;
        _http = http;
        _writer = writer;
        _wake = wake;
        _time = time;
        _logger = logger;
        _counters = counters;
        _random = random;
        _current = new Batch(kind);
        _next = new Batch(kind);
        _reader = new BatchReader(kind, options, writer, time, logger, counters);
    }

    public RecordEndpoint Kind { get; }

    /// <summary>Records appended up to this total are wanted delivered now (a flush), full batch or not.</summary>
    public long DrainTarget { get; private set; }

    /// <summary>The status that halted this endpoint alone (<c>/import</c>, its credentials refused); 0 while it sends.</summary>
    public int HaltedStatus { get; private set; }

    /// <summary>Whether a batch is still being sent, on the wire or waiting to be sent again.</summary>
    public bool IsBusy => _request is not null || _parts.Count > 0;

    /// <summary>Whether an answer waits to be settled.</summary>
    public bool HasAnswer => _request is { IsCompleted: true };

    private IRecordLog Stored => _writer.Queue[Kind];

    private long Now => _time.GetTimestamp();

    /// <summary>Wants everything appended up to <paramref name="total"/> delivered now.</summary>
    public void Drain(long total) => DrainTarget = Math.Max(DrainTarget, total);

    /// <summary>The network is back: a request waiting to be retried goes at once (its attempt count stays).</summary>
    public void RetryNow() => _retryAt = 0;

    /// <summary>Whether, with nothing on the wire, <paramref name="waiting"/> more records would make a full batch.</summary>
    public bool WouldFill(int waiting) => !IsBusy && Stored.UnreadCount + waiting >= _options.BatchSize;

    /// <summary>
    /// Starts a request when nothing is on the wire, no retry is waited for, and there is something to send; and while
    /// a request is on the wire, reads the batch behind it and makes its body ready, so that it leaves at once after.
    /// </summary>
    public void Start(CancellationToken token)
    {
        if (_request is null && HaltedStatus == 0 && (_retryAt == 0 || Now >= _retryAt))
        {
            _retryAt = 0;
            if (_parts.Count == 0 && Lease(_current))
            {
                _parts.Push((0, _current.Count));
            }

            if (_parts.Count > 0)
            {
                Send(token);
            }
        }

        CommitSettled();
        if (_request is not null && _next.Count == 0 && Lease(_next))
        {
            var next = _next;
            next.Prepared = Task.Run(() => _http.Prepare(next, 0, next.Count));
        }
    }

    /// <summary>
    /// Settles the answer to the request on the wire, if it is in. Returns the status of an answer that halts all
    /// delivery (the project's token refused), or 0.
    /// </summary>
    public int Settle(bool stopping)
    {
        if (_request is not { IsCompleted: true } request)
        {
            return 0;
        }

        _request = null;
        var part = _requestPart;
        if (request.IsCanceled || request.Exception?.InnerException is OperationCanceledException)
        {
            if (stopping)
            {
                // Stopping: the batch stays stored for the next start.
                _parts.Push(part);
                return 0;
            }

            // The user opted out while the batch was on its way: it goes with the rest of the queue.
            _counters.OnDropped(DropReason.OptedOut, part.Count + _parts.Sum(static p => p.Count), wasQueued: true);
            _parts.Clear();
            Finish();
            return 0;
        }

        var result = request.Status == TaskStatus.RanToCompletion ? request.Result : SendResult.Failed(request.Exception!.InnerException!);
        var reply = result.Failure is { } failure ? new Reply(ReplyAction.Retry, failure.GetType().Name) : Replies.Classify(result.Status, result.Body, part.Count);
        var halted = Apply(part, reply, result);
        if (!IsBusy)
        {
            Finish();
        }

        return halted;
    }

    /// <summary>
    /// The user opted out: the batch read behind the current one goes, and a batch waiting to be sent again; one on
    /// the wire goes when its cancellation settles. Returns how many records went.
    /// </summary>
    public long Purge()
    {
        // The batch read behind (its body may still be in the making: it is left to that).
        long discarded = _next.Count;
        if (discarded > 0)
        {
            _next = new Batch(Kind);
        }

        if (_request is null && _parts.Count > 0)
        {
            discarded += _parts.Sum(static part => (long)part.Count);
            _parts.Clear();
            _attempt = 0;
            _retryAt = 0;
        }

        if (!IsBusy)
        {
            Finish();
            CommitSettled();
        }

        return discarded;
    }

    /// <summary>
    /// Commits what the endpoint has done with: up to the end of its current batch when another is read behind it,
    /// else everything read (including records dropped behind the batch meanwhile: trimmed, purged, expired).
    /// </summary>
    public void Commit()
    {
        _settledUpTo = null;
        CommitUpTo(CommitMark);
    }

    /// <summary>Commits the batches settled since the last start (<see cref="Start"/> does, once the next request is on its way).</summary>
    public void CommitSettled()
    {
        if (_settledUpTo is { } mark)
        {
            _settledUpTo = null;
            CommitUpTo(mark);
        }
    }

    private ReadMark CommitMark => _next.Count > 0 ? _current.End : Stored.ReadPosition;

    private void CommitUpTo(ReadMark mark)
    {
        var log = Stored;
        try
        {
            log.CommitRead(Kind == RecordEndpoint.Track ? _writer.TrackCommitLimit(mark) : mark);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The cursor stays where it was on disk, and in memory: the next commit writes it again.
            _writer.PauseForDisk(exception);
        }

        _writer.CountDamaged();
    }

    /// <summary>When this sender has something to do next on its own (a retry, a read again); long.MaxValue when nothing.</summary>
    public long NextDue()
    {
        var due = long.MaxValue;
        if (_request is null && _retryAt != 0)
        {
            due = _retryAt;
        }

        if (_reader.RetryAt > Now)
        {
            due = Math.Min(due, _reader.RetryAt);
        }

        return due;
    }

    /// <summary>Reads the next batch into <paramref name="batch"/>, when there is a full one or a flush wants what there is; false when nothing is to be sent.</summary>
    private bool Lease(Batch batch)
    {
        var log = Stored;
        // A flush wants records read only while some it waits for are unread: those appended after it wait for a batch.
        if (!BatchTrigger.ShouldSend(log.UnreadCount, _options.BatchSize, DrainTarget > log.ReadPosition.Consumed) || Now < _reader.RetryAt)
        {
            // A file that failed to read is read again only after its pause, whatever wants it sent meanwhile.
            return false;
        }

        _reader.Read(log, batch);
        if (batch.Count == 0 && !IsBusy)
        {
            // Only expired, aged or damaged records: they are done with.
            Commit();
        }

        return batch.Count > 0;
    }

    private void Send(CancellationToken token)
    {
        var part = _parts.Pop();
        _requestPart = part;
        var batch = _current;
        var prepared = part.Start == 0 && part.Count == batch.Count ? batch.Prepared : null;

        // The request runs apart from the loop; its end wakes the loop. A body made ready beforehand goes out from
        // here at once; another is made (gzipped) off the loop first.
        var request = prepared is { Status: TaskStatus.RanToCompletion }
            ? _http.SendAsync(batch.Endpoint, prepared.Result, token)
            : Task.Run(async () =>
            {
                var content = prepared is not null ? await prepared.ConfigureAwait(false) : _http.Prepare(batch, part.Start, part.Count);
                return await _http.SendAsync(batch.Endpoint, content, token).ConfigureAwait(false);
            });
        _request = request;
        request.ContinueWith(static (_, state) => ((AsyncSignal)state!).Set(), _wake, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Acts on the settled answer; returns the status of a halt of all delivery, or 0.</summary>
    private int Apply((int Start, int Count) part, Reply reply, SendResult result)
    {
        var name = Kind.ToString();
        var settled = Settlement.Settle(part, reply);
        if (settled.Delivered > 0)
        {
            _counters.OnSent(settled.Delivered);
            Log.BatchSent(_logger, settled.Delivered, name);
        }

        if (settled.Refused.Count > 0)
        {
            _counters.OnDropped(settled.RefusedAs, settled.Refused.Count, wasQueued: true);
            Log.RecordsRejected(_logger, settled.Refused.Count, name, reply.Why, string.Join(",", settled.Refused.Select(i => i - part.Start)));
        }

        for (var i = settled.Resend.Count - 1; i >= 0; i--)
        {
            _parts.Push(settled.Resend[i]);
        }

        switch (reply.Action)
        {
            case ReplyAction.Retry:
                _parts.Push(part);
                var delay = Backoff.Next(_attempt, result.RetryAfter, _random());
                _attempt++;
                _retryAt = Now + (long)(delay.TotalSeconds * _time.TimestampFrequency);
                _counters.OnRetried();
                Log.RetryScheduled(_logger, name, reply.Why, _attempt, delay);
                return 0;
            case ReplyAction.Halt:
                _parts.Push(part);
                Log.DeliveryHalted(_logger, result.Status, name, reply.Why);
                if (Kind == RecordEndpoint.Import)
                {
                    // The import credentials are their own setting: refused, they stop /import only, not the project's tracking.
                    HaltedStatus = result.Status;
                    return 0;
                }

                return result.Status;
            default:
                if (reply.Action == ReplyAction.Split && part.Count > 1)
                {
                    Log.BatchSplit(_logger, part.Count, name, reply.Why);
                }

                _attempt = 0;
                return 0;
        }
    }

    /// <summary>
    /// The current batch is settled: the one read behind it, if any, takes its place, and it is committed after the
    /// next request has left (writing the cursor, and deleting a segment read to its end, wait for no answer).
    /// </summary>
    private void Finish()
    {
        _settledUpTo = CommitMark;
        var settled = _current;
        settled.Clear();
        _current = _next;
        _next = settled;
        if (_current.Count > 0)
        {
            _parts.Push((0, _current.Count));
        }
    }
}
