using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Identity;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The record queue behind a client: an in-memory hand-off from the app's threads, the background
/// <see cref="QueueWriter"/> that stores records, and the background <see cref="DeliveryLoop"/> that sends them.
/// </summary>
internal sealed class RecordPipeline : IRecordQueue
{
    /// <summary>
    /// Most records waiting in memory for the writer. The writer stores hundreds of thousands a second, so this is
    /// reached only when the disk stalls; beyond it new records are dropped and counted rather than let memory grow.
    /// </summary>
    internal const int MaxPendingRecords = 20_000;

    private readonly Channel<QueueItem> _channel = Channel.CreateUnbounded<QueueItem>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    private readonly CancellationTokenSource _stopping = new();
    private readonly AsyncSignal _urgent = new();
    private readonly QueueWriter _writer;
    private readonly DeliveryLoop _sender;
    private readonly IngestionClient _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly bool _durable;
    private readonly Task _writerTask;
    private readonly Task _senderTask;
    private readonly int _batchSize;
    private int _pending;
    private int _backlogWarned;

    public RecordPipeline(QueueSetup setup)
    {
        var (options, httpClient, timeProvider, logger, counters, identityStore, queueDirectory) = setup;
        _timeProvider = timeProvider;
        _logger = logger;
        _durable = queueDirectory is not null;
        _batchSize = options.BatchSize;
        _client = new IngestionClient(httpClient, options, timeProvider, counters, logger);
        _writer = new QueueWriter(
            _channel.Reader,
            () => OpenStore(queueDirectory, options, counters),
            identityStore,
            new RecordSerializer(options.ProjectToken, LibraryInfo.Current),
            options,
            counters,
            logger,
            timeProvider,
            _urgent,
            PendingCount,
            RecordTaken,
            (totals, completion) => _sender!.RequestDelivery(totals, completion),
            store => _sender!.OnAppended(store),
            () => _sender!.OnPurged());
        _sender = new DeliveryLoop(_writer.StoreReady, _client, options, counters, logger, timeProvider, RequestPeriodicFlush, RecordsWanted);

        _writerTask = Task.Run(() => _writer.RunAsync(_stopping.Token));
        _senderTask = Task.Run(() => _sender.RunAsync(_stopping.Token));
    }

    public DeliveryStatus Status => new(
        _writer.StoreReady.Status == TaskStatus.RanToCompletion ? _writer.StoreReady.Result.IsDurable : _durable,
        _sender.HaltedStatusCode);

    public bool TryEnqueue(PendingRecord record)
    {
        var pending = Interlocked.Increment(ref _pending);
        if (pending > MaxPendingRecords || !_channel.Writer.TryWrite(record))
        {
            Interlocked.Decrement(ref _pending);
            if (Interlocked.Exchange(ref _backlogWarned, 1) == 0)
            {
                Log.PendingBacklogFull(_logger, MaxPendingRecords);
            }

            return false;
        }

        // Only where the backlog crosses a threshold: each count is seen by one caller, so each crossing by one.
        if ((pending == _batchSize || pending == QueueWriter.MaxGatheredRecords) && _writer.IsUrgent(pending))
        {
            _urgent.Set();
        }

        return true;
    }

    public void SaveIdentity(IdentityState state) => _channel.Writer.TryWrite(new IdentityItem(state));

    public void Purge(int optOutGeneration)
    {
        // The sender stops at once (dropping a batch it is sending) and waits until the writer has purged the rest.
        _sender.BeginPurge();
        if (!_channel.Writer.TryWrite(new PurgeItem(optOutGeneration)))
        {
            _sender.OnPurged();
        }

        _urgent.Set();
    }

    public Task PersistAsync(CancellationToken cancellationToken) => MarkAsync(deliver: false, cancellationToken);

    public Task FlushAsync(CancellationToken cancellationToken) => MarkAsync(deliver: true, cancellationToken);

    public async Task ShutdownAsync(TimeSpan timeout)
    {
        // With no time to deliver, go straight to stopping: the writer still stores what is in memory.
        if (timeout > TimeSpan.Zero)
        {
            using var deadline = _timeProvider.CreateTimeoutSource(timeout);
            try
            {
                await FlushAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.ShutdownTimedOut(_logger, timeout);
            }
        }

        // The writer stores whatever is still in memory before it exits; the sender abandons its request.
        _channel.Writer.TryComplete();
        _stopping.Cancel();
        await Task.WhenAll(_writerTask, _senderTask).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await ShutdownAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        if (_writer.StoreReady.Status == TaskStatus.RanToCompletion)
        {
            _writer.StoreReady.Result.Dispose();
        }

        _writer.Dispose();
        _sender.Dispose();
        _client.Dispose();
        _stopping.Dispose();
    }

    private RecordStore OpenStore(string? queueDirectory, MixpanelOptions options, DeliveryCounters counters)
    {
        if (queueDirectory is null)
        {
            return RecordStore.CreateInMemory();
        }

        // Segments of an eighth of the byte budget (64 KiB to 4 MiB): the queue frees space a segment at a time.
        var segmentBytes = Math.Min(Math.Max(options.MaxQueueBytes / 8, 64 * 1024), 4 * 1024 * 1024);
        try
        {
            var store = RecordStore.OpenOnDisk(queueDirectory, segmentBytes, out var recovery);
            if (recovery.Records > 0)
            {
                counters.OnRecovered(recovery.Records);
                Log.QueueRecovered(_logger, recovery.Records);
            }

            if (recovery.DamagedRecords > 0)
            {
                counters.OnDropped(DropReason.Corrupt, recovery.DamagedRecords, wasQueued: false);
                foreach (var segment in recovery.DamagedSegments)
                {
                    Log.QueueDamagedRecords(_logger, 1, segment);
                }
            }

            return store;
        }
#pragma warning disable CA1031 // Whatever is wrong with the disk, the app keeps running and records are kept in memory.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.QueueOpenFailed(_logger, exception);
            return RecordStore.CreateInMemory();
        }
    }

    private int PendingCount() => Volatile.Read(ref _pending);

    private void RecordTaken() => Interlocked.Decrement(ref _pending);

    /// <summary>The sender is running short of stored records: commit a waiting batch now rather than at the interval.</summary>
    private void RecordsWanted()
    {
        // Not IsUrgent: its "gathered enough" half would leave the signal set and cut a later gather short.
        if (Volatile.Read(ref _pending) >= _batchSize && _writer.IsSenderShort())
        {
            _urgent.Set();
        }
    }

    private void RequestPeriodicFlush()
    {
        if (_channel.Writer.TryWrite(new FlushItem(deliver: true, completion: null)))
        {
            _urgent.Set();
        }
    }

    private async Task MarkAsync(bool deliver, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_channel.Writer.TryWrite(new FlushItem(deliver, completion)))
        {
            return;
        }

        _urgent.Set();
        using (cancellationToken.Register(static state => ((TaskCompletionSource<bool>)state!).TrySetCanceled(), completion))
        {
            await completion.Task.ConfigureAwait(false);
        }
    }
}
