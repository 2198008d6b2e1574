using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The session a device's calls go to, from the moment the client is made. The client loads its stored identity off
/// the app's thread; a call made before the session is there is checked at once (its exceptions are the app's, at the
/// call), kept, and applied once the session is there, in the order the calls were made and before any later call.
/// A call that must read the identity (a property, or a check against the stored identity) waits for it.
/// </summary>
internal sealed class SessionStart
{
    // Calls kept before the session is there, at most; past it a caller waits for the session instead.
    internal const int MaxEarlyCalls = 4096;

    private readonly object _gate = new();
    private readonly TaskCompletionSource<IdentitySession> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private List<Action<IdentitySession>>? _early = [];
    private IdentitySession? _session;

    public SessionStart(ILogger logger) => _logger = logger;

    /// <summary>The session, once it is there; null before.</summary>
    public IdentitySession? Session => Volatile.Read(ref _session);

    /// <summary>Completes once the session is there and the calls made before it are applied.</summary>
    public Task<IdentitySession> Opened => _opened.Task;

    /// <summary>A start whose session is there already (a fake's, whose identity is made in memory).</summary>
    public static SessionStart Of(IdentitySession session, ILogger logger)
    {
        var start = new SessionStart(logger);
        start.Open(session);
        return start;
    }

    /// <summary>The session, waiting for it if it is not there yet.</summary>
    /// <exception cref="Exception">The client could not start: its exception.</exception>
    public IdentitySession Wait() => Session ?? _opened.Task.GetAwaiter().GetResult();

    /// <summary>Applies <paramref name="call"/> to the session now, or once it is there, after the calls made before.</summary>
    public void Run(Action<IdentitySession> call)
    {
        if (Session is null)
        {
            lock (_gate)
            {
                if (_early is { Count: < MaxEarlyCalls } early)
                {
                    early.Add(call);
                    return;
                }
            }
        }

        call(Wait());
    }

    /// <summary>The session is there: the calls kept are applied in order, then every call goes straight to it.</summary>
    public void Open(IdentitySession session)
    {
        lock (_gate)
        {
            foreach (var call in _early!)
            {
                try
                {
                    call(session);
                }
#pragma warning disable CA1031 // A call was checked when it was made; one failing now must not lose the calls after it.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    Log.EarlyCallFailed(_logger, exception);
                }
            }

            _early = null;
            Volatile.Write(ref _session, session);
        }

        _opened.TrySetResult(session);
    }

    /// <summary>The client could not start: the calls kept are lost (logged), and a call that waits gets <paramref name="exception"/>.</summary>
    public void Fail(Exception exception)
    {
        int lost;
        lock (_gate)
        {
            lost = _early?.Count ?? 0;
            _early = null;
        }

        Log.StartFailed(_logger, lost, exception);
        _opened.TrySetException(exception);
    }
}
