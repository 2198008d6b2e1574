using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Identity;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The background writer: takes what the app's threads enqueued, in order, serializes each record once (assigning
/// its <c>$insert_id</c>), and commits them to the store in groups: one disk flush per group, and a group at least
/// every <see cref="MixpanelOptions.PersistInterval"/>. Identity saves, purges and flush markers are handled in order
/// with the records around them.
/// </summary>
internal sealed class QueueWriter : IDisposable
{
    /// <summary>
    /// Records waiting in memory beyond which a commit never waits: far enough inside
    /// <see cref="RecordPipeline.MaxPendingRecords"/> that a burst is not dropped while the writer gathers.
    /// </summary>
    internal const int MaxGatheredRecords = 4096;

    // Frames are committed in pieces of about this size, so that a burst never turns into one huge write.
    private const int MaxGroupBytes = 1024 * 1024;

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly ChannelReader<QueueItem> _reader;
    private readonly Func<RecordStore> _openStore;
    private readonly IdentityStore? _identityStore;
    private readonly RecordSerializer _serializer;
    private readonly MixpanelOptions _options;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly AsyncSignal _urgent;
    private readonly Func<int> _pendingCount;
    private readonly Action _recordTaken;
    private readonly Action<long[], TaskCompletionSource<bool>?> _requestDelivery;
    private readonly Action<RecordStore> _appended;
    private readonly Action _purged;
    private readonly TaskCompletionSource<RecordStore> _storeReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ByteBuffer[] _frames = [new(64 * 1024), new(4 * 1024), new(4 * 1024)];
    private readonly int[] _frameCounts = new int[RecordStore.EndpointCount];
    private readonly Utf8JsonWriter _json;
    private volatile RecordStore? _store;
    private IdentityState? _identityToSave;
    private long _nextSequence;
    private int _purgedGeneration;

    public QueueWriter(
        ChannelReader<QueueItem> reader,
        Func<RecordStore> openStore,
        IdentityStore? identityStore,
        RecordSerializer serializer,
        MixpanelOptions options,
        DeliveryCounters counters,
        ILogger logger,
        TimeProvider timeProvider,
        AsyncSignal urgent,
        Func<int> pendingCount,
        Action recordTaken,
        Action<long[], TaskCompletionSource<bool>?> requestDelivery,
        Action<RecordStore> appended,
        Action purged)
    {
        _reader = reader;
        _openStore = openStore;
        _identityStore = identityStore;
        _serializer = serializer;
        _options = options;
        _counters = counters;
        _logger = logger;
        _timeProvider = timeProvider;
        _urgent = urgent;
        _pendingCount = pendingCount;
        _recordTaken = recordTaken;
        _requestDelivery = requestDelivery;
        _appended = appended;
        _purged = purged;
        _json = new Utf8JsonWriter(_frames[0], JsonValues.WriterOptions);
    }

    /// <summary>Completes with the store once it is open (on disk, or in memory if the disk was unusable).</summary>
    public Task<RecordStore> StoreReady => _storeReady.Task;

    /// <summary>
    /// Whether a commit should not wait for the rest of <see cref="MixpanelOptions.PersistInterval"/>: a full batch is
    /// waiting and the sender is about to run out of stored records, or the records waiting are many. While the sender
    /// has batches stored ahead of it, records gather: a disk flush costs the same for a few records as for thousands,
    /// and under a steady stream of events that is most of what storing them costs.
    /// </summary>
    public bool IsUrgent(int pending) =>
        pending >= MaxGatheredRecords || (pending >= _options.BatchSize && IsSenderShort());

    /// <summary>Whether the sender has fewer records stored than it keeps in flight.</summary>
    public bool IsSenderShort() =>
        _store is not { } store || store.UnreadTotal < (long)_options.BatchSize * DeliveryLoop.MaxBatchesInFlight;

    public async Task RunAsync(CancellationToken stopping)
    {
        await Task.Yield();
        var store = _openStore();
        _store = store;
        _nextSequence = store.FirstSequence;
        _storeReady.TrySetResult(store);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                while (await _reader.WaitToReadAsync(stopping).ConfigureAwait(false))
                {
                    await GatherAsync(stopping).ConfigureAwait(false);
                    await DrainAsync(finalPass: false, stopping).ConfigureAwait(false);
                }

                break;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // Stopping: what is left is written below, once.
            }
#pragma warning disable CA1031 // The writer must outlive any fault: log it, pause, carry on. Records stay in memory meanwhile.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Log.WriterLoopFailed(_logger, FirstRetryDelay, exception);
                try
                {
                    await _timeProvider.DelayAsync(FirstRetryDelay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Stopping.
                }
            }
        }

        try
        {
            await DrainAsync(finalPass: true, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Shutdown goes on whatever the last write met.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.WriterLoopFailed(_logger, TimeSpan.Zero, exception);
        }
    }

    private async Task GatherAsync(CancellationToken stopping)
    {
        if (_options.PersistInterval <= TimeSpan.Zero || IsUrgent(_pendingCount()))
        {
            return;
        }

        using var timeout = _timeProvider.CreateTimeoutSource(_options.PersistInterval);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        try
        {
            await _urgent.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            // The interval is up.
        }
    }

    private async Task DrainAsync(bool finalPass, CancellationToken stopping)
    {
        while (_reader.TryRead(out var item))
        {
            switch (item)
            {
                case PendingRecord record when record.OptOutGeneration < _purgedGeneration:
                    // Made before an opt-out whose purge came through first.
                    _recordTaken();
                    _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: true);
                    break;
                case PendingRecord record:
                    _recordTaken();
                    Serialize(record);
                    if (_frames[(int)record.Endpoint].Length >= MaxGroupBytes)
                    {
                        await CommitAsync(finalPass, stopping).ConfigureAwait(false);
                    }

                    break;
                case IdentityItem identity:
                    _identityToSave = identity.State;
                    break;
                case PurgeItem purge:
                    Purge(purge.OptOutGeneration);
                    break;
                case FlushItem flush:
                    try
                    {
                        await CommitAsync(finalPass, stopping).ConfigureAwait(false);
                    }
                    finally
                    {
                        // Resolved whether or not the commit finished: a flush never waits on a stopped writer.
                        Resolve(flush);
                    }

                    break;
            }
        }

        await CommitAsync(finalPass, stopping).ConfigureAwait(false);
    }

    private void Serialize(PendingRecord record)
    {
        var endpoint = (int)record.Endpoint;
        var frames = _frames[endpoint];
        var start = frames.Length;
        frames.GetSpan(RecordFrame.HeaderSize);
        frames.Advance(RecordFrame.HeaderSize);
        try
        {
            _json.Reset(frames);
            _serializer.Write(_json, record);
            _json.Flush();
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            frames.Truncate(start);
            _counters.OnDropped(DropReason.Rejected, 1, wasQueued: true);
            Log.RecordsRejected(_logger, 1, record.Endpoint.ToString(), exception.Message);
            return;
        }

        var frameLength = frames.Length - start;
        if (frameLength - RecordFrame.HeaderSize > MixpanelLimits.MaxRecordBytes)
        {
            frames.Truncate(start);
            _counters.OnDropped(DropReason.TooLarge, 1, wasQueued: true);
            Log.RecordTooLarge(_logger, record.Endpoint.ToString(), frameLength - RecordFrame.HeaderSize);
            return;
        }

        var time = record is EventRecord eventRecord ? eventRecord.TimeMilliseconds : 0;
        RecordFrame.WriteHeader(frames.Array.AsSpan(start, frameLength), _nextSequence++, time);
        _frameCounts[endpoint]++;
    }

    /// <summary>Writes the pending frames, then the identity; retries a failing disk without end unless stopping.</summary>
    private async Task CommitAsync(bool finalPass, CancellationToken stopping)
    {
        var store = _store!;
        var delay = FirstRetryDelay;
        while (true)
        {
            try
            {
                for (var endpoint = 0; endpoint < RecordStore.EndpointCount; endpoint++)
                {
                    var count = _frameCounts[endpoint];
                    if (count == 0)
                    {
                        continue;
                    }

                    store.Append((RecordEndpoint)endpoint, _frames[endpoint], count);
                    _counters.OnPersisted(count);
                    _frames[endpoint].Clear();
                    _frames[endpoint].ShrinkTo(MaxGroupBytes);
                    _frameCounts[endpoint] = 0;
                }

                break;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException && !finalPass)
            {
                Log.QueueWriteFailed(_logger, delay, exception);
                await _timeProvider.DelayAsync(delay, stopping).ConfigureAwait(false);
                delay = delay + delay > MaxRetryDelay ? MaxRetryDelay : delay + delay;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The last pass before exit: what could not be written is lost with the process; count it.
                Log.QueueWriteFailed(_logger, TimeSpan.Zero, exception);
                for (var endpoint = 0; endpoint < RecordStore.EndpointCount; endpoint++)
                {
                    _counters.OnDropped(DropReason.QueueFull, _frameCounts[endpoint], wasQueued: true);
                    _frames[endpoint].Clear();
                    _frameCounts[endpoint] = 0;
                }

                break;
            }
        }

        SaveIdentity();

        try
        {
            var dropped = store.Trim(_options.MaxQueueSize, _options.MaxQueueBytes);
            if (dropped > 0)
            {
                _counters.OnDropped(DropReason.QueueFull, dropped, wasQueued: true);
                Log.QueueFull(_logger, dropped);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The limits are applied again with the next commit.
            Log.QueueWriteFailed(_logger, TimeSpan.Zero, exception);
        }

        CountDamaged(store);
        _appended(store);
    }

    private void SaveIdentity()
    {
        if (_identityToSave is null || _identityStore is null)
        {
            _identityToSave = null;
            return;
        }

        try
        {
            _identityStore.Save(_identityToSave);
            _identityToSave = null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Kept, and tried again with the next commit.
            Log.IdentitySaveFailed(_logger, exception);
        }
    }

    private void Purge(int optOutGeneration)
    {
        _purgedGeneration = Math.Max(_purgedGeneration, optOutGeneration);
        var discarded = 0;
        for (var endpoint = 0; endpoint < RecordStore.EndpointCount; endpoint++)
        {
            discarded += _frameCounts[endpoint];
            _frames[endpoint].Clear();
            _frameCounts[endpoint] = 0;
        }

        long purged = 0;
        try
        {
            purged = _store!.Purge();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // What could not be purged now is purged at the next start: an opted-out identity purges the queue.
            Log.QueueWriteFailed(_logger, TimeSpan.Zero, exception);
        }

        _counters.OnDropped(DropReason.OptedOut, discarded + purged, wasQueued: true);
        CountDamaged(_store!);
        _purged();
    }

    private void CountDamaged(RecordStore store)
    {
        var damaged = store.TakeDamaged();
        _counters.OnDropped(DropReason.Corrupt, damaged, wasQueued: true);
    }

    public void Dispose() => _json.Dispose();

    private void Resolve(FlushItem flush)
    {
        if (flush.Deliver)
        {
            _requestDelivery(_store!.AppendedTotals(), flush.Completion);
        }
        else
        {
            flush.Completion?.TrySetResult(true);
        }
    }
}
