using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;

namespace Mixpanel.Identity.DependencyInjection;

/// <summary>
/// Delivers what is queued when the application stops, within <see cref="MixpanelOptions.ShutdownTimeout"/> in all;
/// the container disposes the client afterwards. Taking the client in the constructor also starts it with the host,
/// so records left by an earlier run are sent from start-up rather than from the first use.
/// </summary>
internal sealed class MixpanelStopFlush<TClient> : IHostedLifecycleService, IDisposable
    where TClient : class, IFlushOnStop
{
    private readonly TClient _client;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private CancellationTokenSource? _deadline;

    public MixpanelStopFlush(TClient client, IOptions<MixpanelOptions> options, TimeProvider timeProvider, ILoggerFactory? loggerFactory = null)
    {
        _client = client;
        _timeout = options.Value.ShutdownTimeout;
        _timeProvider = timeProvider;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Mixpanel.Identity");
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // The host's start waits for the client's own, off the app's thread: a host that has started has a started client.
    // A client that failed to start said so (critical), and drops what it is given: the app starts all the same.
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.Started.WaitOrCancelAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (_client.Started.IsFaulted)
        {
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Hosted services stop in the reverse order of registration, so services registered before AddMixpanel stop after
    // this one and may still track while they stop. StopAsync flushes what is queued by then; StoppedAsync, which the
    // host calls once every service has stopped, flushes the rest. Both share one deadline, so the two together
    // never take longer than ShutdownTimeout; the client's disposal afterwards uses only what is left of it. (A host
    // older than .NET 8 never calls StoppedAsync; disposal then delivers the rest.)
    public Task StopAsync(CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    public Task StoppedAsync(CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    public void Dispose() => _deadline?.Dispose();

    private async Task FlushAsync(CancellationToken hostToken)
    {
        if (_deadline is null)
        {
            _deadline = _timeProvider.CreateTimeoutSource(_timeout);
            _client.LimitShutdownTo(_timeProvider.GetUtcNow() + _timeout);
        }

        if (_deadline.IsCancellationRequested)
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(hostToken, _deadline.Token);
        try
        {
            await _client.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Stopping never fails for Mixpanel: what was not delivered stays queued, on disk for the next start or, in
            // memory, until the disposal drops (and counts) what it could not deliver either.
            var onDisk = _client.Diagnostics.IsDurable;
            switch (_deadline.IsCancellationRequested, onDisk)
            {
                case (true, true):
                    Log.StopFlushTimedOut(_logger, _timeout);
                    break;
                case (true, false):
                    Log.StopFlushTimedOutInMemory(_logger, _timeout);
                    break;
                case (false, true):
                    Log.StopFlushAbandoned(_logger);
                    break;
                default:
                    Log.StopFlushAbandonedInMemory(_logger);
                    break;
            }
        }
    }
}
