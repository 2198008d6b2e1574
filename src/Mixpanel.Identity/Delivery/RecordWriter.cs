using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The writer: owns the groups (records serialized and not yet written, one group per endpoint) and the queue they
/// are written to, in segments on disk or in memory. It applies the queue's bounds after each write, and after a write
/// fails it pauses (1 s, doubling up to 30 s) and tells the intake, so that <c>Track</c> never waits for a disk that
/// is failing. It also moves events too old for <c>/track</c> into the <c>/import</c> log. Used by the loop alone.
/// </summary>
internal sealed class RecordWriter : IDisposable
{
    /// <summary>Frames are written in groups of about this size, so that a burst never turns into one huge write.</summary>
    public const int MaxGroupBytes = 1024 * 1024;

    private static readonly TimeSpan MaxFailurePause = TimeSpan.FromSeconds(30);

    private readonly MixpanelOptions _options;
    private readonly RecordSerializer _serializer;
    private readonly Intake _intake;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly ByteBuffer[] _groups = [.. RecordEndpoints.All.Select(static endpoint => new ByteBuffer(endpoint == RecordEndpoint.Track ? 64 * 1024 : 4 * 1024))];
    private readonly int[] _groupCounts = new int[RecordEndpoints.Count];
    private readonly DurableCounts _durable;
    private readonly Utf8JsonWriter _json;

    private readonly AgedEvents _aged = new();

    private int _lastRecordBytes;
    private long _groupStartedAt;
    private long _retryAt;
    private int _failures;
    private int _purgedGeneration;
    private PropertyMap _platformProperties = PropertyMap.Empty;
    private PropertyMap? _appliedDeviceInfo;

    public RecordWriter(MixpanelOptions options, RecordSerializer serializer, Intake intake, TimeProvider time, ILogger logger, DeliveryCounters counters, AsyncSignal? wake = null)
    {
        _durable = new DurableCounts(counters, wake);
        _options = options;
        _serializer = serializer;
        _intake = intake;
        _time = time;
        _logger = logger;
        _counters = counters;
        _json = new Utf8JsonWriter(_groups[0], JsonValues.WriterOptions);
    }

    /// <summary>The queue written to: in memory until <see cref="Open"/> gives the one on disk.</summary>
    public RecordQueue Queue { get; private set; } = RecordQueue.InMemory();

    /// <summary>Records waiting in the groups.</summary>
    public int GroupCount => _groupCounts.Sum();

    /// <summary>Whether the groups hold a write's worth: taking more waits until they are written.</summary>
    public bool IsFull => _groups.Sum(static group => group.Length) >= MaxGroupBytes;

    /// <summary>The JSON size of the last record serialized, for the intake's running average.</summary>
    public int LastRecordBytes => _lastRecordBytes;

    /// <summary>Whether a write failed and the pause after it is not over: writing waits until <see cref="RetryAt"/>.</summary>
    public bool IsPaused => _time.GetTimestamp() < _retryAt;

    /// <summary>When the pause after a failed write ends (a timestamp).</summary>
    public long RetryAt => _retryAt;

    /// <summary>When the groups are due to be written (a timestamp); long.MaxValue when they are empty.</summary>
    public long DueAt => GroupCount == 0 ? long.MaxValue : Math.Max(_groupStartedAt + Ticks(_options.PersistInterval), _retryAt);

    /// <summary>Aged events waiting for the import log.</summary>
    public bool HasAged => _aged.Any;

    /// <summary>Takes <paramref name="queue"/>, the platform's default properties with it.</summary>
    public void Open(RecordQueue queue, PropertyMap platformProperties)
    {
        Queue = queue;
        _platformProperties = platformProperties;
    }

    /// <summary>
    /// Serializes <paramref name="record"/> into its endpoint's group, <paramref name="deviceInfo"/> (the app's latest)
    /// among its default properties; a record made before an opt-out's purge is dropped and counted.
    /// </summary>
    public void Write(PendingRecord record, PropertyMap deviceInfo)
    {
        if (!ReferenceEquals(_appliedDeviceInfo, deviceInfo))
        {
            _appliedDeviceInfo = deviceInfo;
            _serializer.Defaults = _options.SendDefaultProperties ? _platformProperties.With(deviceInfo, overwrite: true) : PropertyMap.Empty;
        }

        if (record.OptOutGeneration < _purgedGeneration)
        {
            // Made before an opt-out whose purge came through first.
            _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: true);
            return;
        }

        var index = (int)record.Endpoint;
        if (!TryFrame(_groups[index], record, Queue[record.Endpoint].NextNumber + _groupCounts[index], releaseTag: 0))
        {
            return;
        }

        _groupCounts[index]++;
        if (_groupStartedAt == 0)
        {
            _groupStartedAt = _time.GetTimestamp();
        }
    }

    /// <summary>Whether the groups are to be written now: see <see cref="BatchTrigger.ShouldCommit"/>.</summary>
    public bool ShouldCommit(bool flushing, Func<RecordEndpoint, int, bool> endpointWouldFill)
    {
        var groupCount = GroupCount;
        if (groupCount == 0)
        {
            return false;
        }

        var idleWouldFill = false;
        for (var i = 0; i < RecordEndpoints.Count && !idleWouldFill; i++)
        {
            idleWouldFill = _groupCounts[i] > 0 && endpointWouldFill((RecordEndpoint)i, _groupCounts[i]);
        }

        var persistDue = _time.GetTimestamp() - _groupStartedAt >= Ticks(_options.PersistInterval);
        return BatchTrigger.ShouldCommit(groupCount, _groups.Sum(static group => group.Length), MaxGroupBytes, persistDue, flushing, idleWouldFill);
    }

    /// <summary>
    /// Writes the groups; false while the disk is failing (tried again after a pause, records kept). On the
    /// <paramref name="final"/> pass before exit, what cannot be written is dropped and counted. Returns, through
    /// <paramref name="trimmed"/>, how many of the oldest records the queue's bounds dropped. <paramref name="durable"/>:
    /// on the disk, with everything written before, when this returns (a flush, an identity change); otherwise readable
    /// at once and made durable off the loop while the next group is gathered.
    /// </summary>
    public bool TryCommit(bool final, out long trimmed, bool durable = true)
    {
        trimmed = 0;
        durable |= final;
        if (GroupCount == 0 && (!durable || Queue.IsSynced))
        {
            _durable.Update(Queue);
            return true;
        }

        if (!final && IsPaused)
        {
            return false;
        }

        try
        {
            for (var i = 0; i < RecordEndpoints.Count; i++)
            {
                if (_groupCounts[i] == 0)
                {
                    continue;
                }

                Queue.Append((RecordEndpoint)i, _groups[i], _groupCounts[i], durable: false);
                _durable.Written((RecordEndpoint)i, Queue[(RecordEndpoint)i].AppendedTotal, _groupCounts[i]);
                _groups[i].Clear();
                _groups[i].ShrinkTo(MaxGroupBytes);
                _groupCounts[i] = 0;
            }

            if (durable)
            {
                // Written already, and readable: a flush that fails here is made again after the pause.
                Queue.Sync();
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            if (!final)
            {
                PauseForDisk(exception);
                return false;
            }

            // The last pass before exit: what could not be written ends with the process. Counted.
            Log.QueueWriteFailed(_logger, TimeSpan.Zero, exception);
            _counters.OnDropped(DropReason.QueueFull, GroupCount, wasQueued: true);
            ClearGroups();
        }

        _durable.Update(Queue);
        _failures = 0;
        _intake.StorageFailing = false;
        _groupStartedAt = 0;
        trimmed = Queue.Trim(_options.MaxQueueSize, _options.MaxQueueBytes, _intake.Records, _intake.EstimatedBytes);
        if (trimmed > 0)
        {
            _counters.OnDropped(DropReason.QueueFull, trimmed, wasQueued: true);
            Log.QueueFull(_logger, trimmed);
        }

        CountDamaged();
        return true;
    }

    /// <summary>
    /// A write of the queue, the identity or a cursor failed: the next write waits 1 s, doubling up to 30 s, and
    /// <c>Track</c> stops waiting for room at once, since none is made until a write succeeds. Logged unless the caller
    /// <paramref name="logged"/> it already.
    /// </summary>
    public void PauseForDisk(Exception exception, bool logged = false)
    {
        _intake.StorageFailing = true;
        var pause = TimeSpan.FromSeconds(Math.Min(MaxFailurePause.TotalSeconds, Math.Pow(2, _failures++)));
        _retryAt = _time.GetTimestamp() + Ticks(pause);
        if (!logged)
        {
            Log.QueueWriteFailed(_logger, pause, exception);
        }
    }

    /// <summary>
    /// Serializes an accepted record into a frame at the end of <paramref name="into"/>, numbered <paramref name="number"/>
    /// in its log; false, with nothing left in <paramref name="into"/> and the drop counted, when it cannot be written or
    /// is larger than Mixpanel takes.
    /// </summary>
    public bool TryFrame(ByteBuffer into, PendingRecord record, long number, long releaseTag)
    {
        var start = into.Length;
        into.GetSpan(RecordFrame.HeaderSize);
        into.Advance(RecordFrame.HeaderSize);
        try
        {
            _json.Reset(into);
            _serializer.Write(_json, record);
            _json.Flush();
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            into.Truncate(start);
            _counters.OnDropped(DropReason.Rejected, 1, wasQueued: true);
            Log.RecordUnwritable(_logger, record.Endpoint.ToString(), exception.GetType().Name);
            return false;
        }

        var payload = into.Length - start - RecordFrame.HeaderSize;
        if (payload > MixpanelLimits.MaxRecordBytes)
        {
            into.Truncate(start);
            _counters.OnDropped(DropReason.TooLarge, 1, wasQueued: true);
            Log.RecordTooLarge(_logger, record.Endpoint.ToString(), payload);
            return false;
        }

        var time = record is EventRecord eventRecord ? eventRecord.TimeMilliseconds : 0;
        RecordFrame.Seal(into, start, number, Queue.TakeSequence(), time, releaseTag);
        _lastRecordBytes = payload;
        return true;
    }

    /// <summary>Appends profile updates that an identity change released to the <c>/engage</c> log, tagged <paramref name="tag"/>.</summary>
    /// <exception cref="IOException">The disk failed; nothing was appended.</exception>
    public void AppendReleased(List<ProfileRecord> released, long tag)
    {
        var frames = new ByteBuffer(4 * 1024);
        var count = 0;
        foreach (var record in released)
        {
            if (TryFrame(frames, record, Queue[RecordEndpoint.Engage].NextNumber + count, tag))
            {
                count++;
            }
        }

        // Counted once appended: a release that fails here is made again, whole, by the next save.
        Queue.Append(RecordEndpoint.Engage, frames, count);
        _counters.OnAccepted(released.Count);
        _counters.OnPersisted(count);
    }

    /// <summary>The user opted out: the groups and every stored record not yet read go. Returns how many.</summary>
    public long Purge(int generation)
    {
        _purgedGeneration = Math.Max(_purgedGeneration, generation);
        long discarded = GroupCount;
        ClearGroups();
        return discarded + Queue.Purge();
    }

    /// <summary>Frames the next record of <paramref name="log"/> (the <c>/track</c> log) for the <c>/import</c> log (none when it turned out damaged).</summary>
    public void MoveToImport(IRecordLog log, RecordFrame header) => _aged.Take(Queue, log, header);

    /// <summary>The <c>/track</c> cursor may go up to <paramref name="mark"/>, or only up to aged events not yet in the import log.</summary>
    public ReadMark TrackCommitLimit(ReadMark mark) => _aged.CommitLimit(mark);

    /// <summary>
    /// Appends the records <see cref="MoveToImport"/> framed to the <c>/import</c> log; true when it did. On a failing
    /// disk they are kept, and tried again after the pause: nothing is lost.
    /// </summary>
    public bool TryAppendAged()
    {
        if (_aged.Any && IsPaused)
        {
            return false;
        }

        try
        {
            return _aged.AppendTo(Queue);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            PauseForDisk(exception);
            return false;
        }
    }

    /// <summary>
    /// Ends the logs' flushes to the disk that have ended, counting what they made durable, and starts on what was
    /// written since. A flush that failed pauses writing like a failed write; its records stay readable and are
    /// flushed again.
    /// </summary>
    public void CompleteSyncs()
    {
        if (IsPaused)
        {
            // A flush that failed goes again once the pause is over, with whatever was written meanwhile.
            return;
        }

        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            var log = Queue[(RecordEndpoint)i];
            try
            {
                log.CompleteSync();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                PauseForDisk(exception);
            }
        }

        _durable.Update(Queue);
    }

    /// <summary>Counts and logs records the logs found damaged or missing since the last call.</summary>
    public void CountDamaged()
    {
        var damaged = Queue.TakeDamaged();
        if (damaged > 0)
        {
            _counters.OnDropped(DropReason.Corrupt, damaged, wasQueued: true);
            Log.QueueDamagedRecords(_logger, damaged);
        }
    }

    public void Dispose()
    {
        Queue.Dispose();
        _json.Dispose();
    }

    private void ClearGroups()
    {
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            _groups[i].Clear();
            _groupCounts[i] = 0;
        }

        _groupStartedAt = 0;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
