using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// Owns the flag definitions of local evaluation: fetched when first needed, then every polling interval on the
/// injected clock, in one loop that never throws. A failed fetch keeps the last definitions and is logged; the next
/// tick tries again.
/// </summary>
internal sealed class DefinitionsPoller : IAsyncDisposable
{
    private readonly FlagsApi _api;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource<bool> _firstFetch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _cohortsLogged = new(StringComparer.Ordinal);
    private readonly object _startGate = new();
    private Task? _loop;
    private TaskCompletionSource<bool> _nextFetch = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Replaced whole by the loop, read without a lock by evaluations: null until the first fetch succeeds.
    private volatile IReadOnlyDictionary<string, FlagDefinition>? _definitions;

    public DefinitionsPoller(FlagsApi api, TimeSpan interval, TimeProvider clock, ILogger logger)
    {
        _api = api;
        _interval = interval;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>The definitions of the last successful fetch; null before one. Starts the loop on first use.</summary>
    public IReadOnlyDictionary<string, FlagDefinition>? Definitions
    {
        get
        {
            Start();
            return _definitions;
        }
    }

    /// <summary>Completes when the first fetch has ended, whether it brought definitions or not.</summary>
    public Task WhenFirstFetchedAsync(CancellationToken cancellationToken)
    {
        Start();
        return _firstFetch.Task.WaitOrCancelAsync(cancellationToken);
    }

    /// <summary>Completes when the fetch after this call has ended (true when it brought definitions).</summary>
    public Task<bool> NextFetchAsync() => Volatile.Read(ref _nextFetch).Task;

    /// <summary>Takes definitions given directly (the local test server's own), instead of fetching them.</summary>
    public void Use(IReadOnlyDictionary<string, FlagDefinition> definitions) => _definitions = definitions;

    public void Start()
    {
        if (Volatile.Read(ref _loop) is not null)
        {
            return;
        }

        lock (_startGate)
        {
            if (!_stop.IsCancellationRequested)
            {
                _loop ??= Task.Run(() => PollAsync(_stop.Token));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_startGate)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            // Under the gate, so that no loop starts after this: Start sees the cancelled token.
            _stop.Cancel();
            loop = _loop;
        }

        if (loop is not null)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private async Task PollAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var fetched = await FetchOnceAsync(stop).ConfigureAwait(false);
            Interlocked.Exchange(ref _nextFetch, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(fetched);
            try
            {
                await _clock.DelayAsync(_interval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        _firstFetch.TrySetResult(false);
    }

    private async Task<bool> FetchOnceAsync(CancellationToken stop)
    {
        try
        {
            using var answer = await _api.GetDefinitionsAsync(stop).ConfigureAwait(false);
            var definitions = FlagDefinition.ReadAll(answer.RootElement);
            LogCohortGated(definitions.Values);
            _definitions = definitions;
            _firstFetch.TrySetResult(true);
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
#pragma warning disable CA1031 // The loop outlives any one fetch: whatever failed is logged and tried again at the next tick.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.FlagDefinitionsFailed(_logger, exception.Message);
            _firstFetch.TrySetResult(false);
            return false;
        }
    }

    private void LogCohortGated(IEnumerable<FlagDefinition> definitions)
    {
        foreach (var definition in definitions)
        {
            var gated = definition.Rollouts.Count(r => r.IsCohortGated);
            if (gated > 0 && _cohortsLogged.Add(definition.Key))
            {
                Log.FlagCohortRolloutsSkipped(_logger, definition.Key, gated);
            }
        }
    }
}
