using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// What the clients hand records to, and wait on: records, identity changes and markers go through the typed
/// <see cref="Intake"/> to the one <see cref="DeliveryLoop"/>, which stores and sends them. Nothing here touches the
/// disk or the network: a call returns once its item is handed over, or dropped and counted.
/// </summary>
internal sealed class DeliveryEngine : IRecordSink, IAsyncDisposable
{
    // The longest disposal waits for the loop's last write after ShutdownTimeout, whatever the disk does.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DeliveryCounters _counters;
    private readonly AsyncSignal _wake = new();
    private readonly Intake _intake;
    private readonly DropLog _intakeDrops;
    private readonly DeliveryLoop _loop;
    private Task _running = Task.CompletedTask;
    private volatile bool _closed;

    public DeliveryEngine(
        MixpanelOptions options,
        HttpClient httpClient,
        IdentityStore? identity,
        string? queueDirectory,
        RecordDefaults defaults,
        TimeProvider timeProvider,
        ILogger logger,
        DeliveryCounters counters,
        Func<double>? random = null)
    {
        _time = timeProvider;
        _logger = logger;
        _counters = counters;
        Sender = new HttpSender(httpClient, options, timeProvider);
        _intake = new Intake(_wake, timeProvider, options.TrackMemoryBudgetBytes, options.BatchSize);
        _intakeDrops = new DropLog(timeProvider);
        _loop = new DeliveryLoop(options, Sender, identity, queueDirectory, defaults, _intake, _wake, timeProvider, logger, counters, random ?? Backoff.SharedRandom);
    }

    /// <summary>How the engine sends, shared with the bulk importer: the same endpoints, credentials and timeout.</summary>
    public HttpSender Sender { get; }

    /// <summary>The screen and Wi-Fi properties the app gave last (<see cref="MixpanelOptions.DeviceInfo"/>); set from any thread.</summary>
    public PropertyMap DeviceInfo
    {
        get => _loop.DeviceInfo;
        set
        {
            _loop.DeviceInfo = value;
            _wake.Set();
        }
    }

    /// <summary>Whether records are kept on disk, and whether delivery has halted.</summary>
    public DeliveryStatus Status => _loop.Status;

    /// <summary>Starts the loop; a device's <paramref name="session"/> has its changes saved, and hears when they are.</summary>
    public void Start(IdentitySession? session) => _running = _loop.Start(session);

    public void Enqueue(PendingRecord record)
    {
        if (_closed)
        {
            _counters.OnDropped(DropReason.Disposed, 1, wasQueued: false);
            Log.RecordAfterDispose(_logger);
            return;
        }

        _counters.OnAccepted();
        if (!_intake.TryAdd(record))
        {
            _counters.OnDropped(DropReason.QueueFull, 1, wasQueued: true);
            if (_intakeDrops.OnDropped() is > 0 and var dropped)
            {
                Log.IntakeFull(_logger, dropped);
            }
        }
    }

    public void Change(IdentityChange change) => _intake.Add(new IntakeItem(change));

    public void CatchUp()
    {
        _loop.AskCatchUp();
        _wake.Set();
    }

    /// <summary>The network is back: what waits to be retried goes at once.</summary>
    public void RetryNow()
    {
        _loop.RetryNow();
        _wake.Set();
    }

    public void Purge(int optOutGeneration)
    {
        // What is on the wire now is abandoned at once; the rest goes when the loop reaches the marker.
        _loop.CancelSends();
        _intake.Add(new IntakeItem(new PurgeMarker(optOutGeneration)));
    }

    /// <summary>Completes once the records given before the call are delivered or dropped, or delivery halted or stopped.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => MarkAsync(deliver: true, cancellationToken);

    /// <summary>
    /// As <see cref="FlushAsync(CancellationToken)"/>, but a call that cannot be cancelled waits at most
    /// <paramref name="bound"/> and then returns, what is left still queued (and logged).
    /// </summary>
    public async Task FlushAsync(TimeSpan bound, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        using var timeout = _time.CreateTimeoutSource(bound);
        try
        {
            await FlushAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Log.FlushTimedOut(_logger, bound, _counters.Queued);
        }
    }

    /// <summary>Completes once the records and identity changes given before the call are stored.</summary>
    public Task PersistAsync(CancellationToken cancellationToken) => MarkAsync(deliver: false, cancellationToken);

    /// <summary>
    /// Delivers what it can within <paramref name="timeout"/>, then stores what is still in memory and stops. Never
    /// waits on a request: one still running is abandoned, its records stay stored.
    /// </summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (timeout > TimeSpan.Zero && !_closed)
        {
            using var deadline = _time.CreateTimeoutSource(timeout);
            try
            {
                await FlushAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Log.ShutdownTimedOut(_logger, timeout);
            }
        }

        _closed = true;
        _intake.Close();
        _loop.Stop();
        _wake.Set();
        using var grace = new CancellationTokenSource();
        var waited = await Task.WhenAny(_running, _time.DelayAsync(StopGrace, grace.Token)).ConfigureAwait(false);
        grace.Cancel();
        if (waited != _running)
        {
            Log.StopAbandoned(_logger, StopGrace);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_closed)
        {
            await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        _intake.Dispose();
        _loop.Dispose();
    }

    private async Task MarkAsync(bool deliver, CancellationToken cancellationToken)
    {
        if (_closed)
        {
            return;
        }

        var request = new FlushRequest(deliver);
        _intake.Add(new IntakeItem(request));
        using (cancellationToken.Register(static state => ((FlushRequest)state!).Cancel(), request))
        {
            await request.Task.ConfigureAwait(false);
        }
    }
}
