namespace Mixpanel.Identity.DependencyInjection;

/// <summary>A client the host flushes when the application stops (<see cref="MixpanelStopFlush{TClient}"/>).</summary>
internal interface IFlushOnStop
{
    /// <summary>Completes when what was queued before the call is delivered, or when <paramref name="cancellationToken"/> is cancelled.</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>The client's counters and state: whether its queue is on disk, for one.</summary>
    MixpanelDiagnostics Diagnostics { get; }

    /// <summary>Completes once the client has started (a device's client loads its identity off the app's thread); faulted if it could not.</summary>
    Task Started { get; }

    /// <summary>Shutdown has begun: the client's disposal delivers only until <paramref name="deadline"/>.</summary>
    void LimitShutdownTo(DateTimeOffset deadline);
}
