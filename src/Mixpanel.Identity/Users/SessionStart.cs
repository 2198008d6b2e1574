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
    private readonly Action<int> _lost;
    private List<(Action<IdentitySession> Call, bool Records)>? _early = [];
    private bool _failed;
    private IdentitySession? _session;

    // The thread applying the kept calls, and the session it applies them to: an app's hook run by one of them may read
    // the identity, and is answered at once, as the calls applied so far left it, instead of waiting for itself.
    private int _openingThread;
    private IdentitySession? _opening;

    /// <summary>A start whose calls, should it fail, are dropped and counted by <paramref name="lost"/>.</summary>
    public SessionStart(ILogger logger, Action<int>? lost = null)
    {
        _logger = logger;
        _lost = lost ?? (static _ => { });
    }

    /// <summary>The session, once it is there; null before.</summary>
    public IdentitySession? Session => Volatile.Read(ref _session);

    /// <summary>A start whose session is there already (a fake's, whose identity is made in memory).</summary>
    public static SessionStart Of(IdentitySession session, ILogger logger)
    {
        var start = new SessionStart(logger);
        start.Open(session);
        return start;
    }

    /// <summary>The session, waiting for it if it is not there yet.</summary>
    /// <exception cref="Exception">The client could not start: its exception.</exception>
    public IdentitySession Wait() =>
        Session
        ?? (Volatile.Read(ref _openingThread) == Environment.CurrentManagedThreadId ? _opening : null)
        ?? _opened.Task.GetAwaiter().GetResult();

    /// <summary>
    /// Applies <paramref name="call"/> to the session now, or once it is there, after the calls made before; after a
    /// failed start it is dropped, and counted when it <paramref name="records"/> something (an event, a profile or
    /// group update), as a call of the app's must not throw for the client's own fault.
    /// </summary>
    public void Run(Action<IdentitySession> call, bool records = true)
    {
        var lost = records ? 1 : 0;
        if (Session is null)
        {
            lock (_gate)
            {
                if (_early is { Count: < MaxEarlyCalls } early)
                {
                    early.Add((call, records));
                    return;
                }

                if (_failed)
                {
                    _lost(lost);
                    return;
                }
            }
        }

        IdentitySession session;
        try
        {
            session = Wait();
        }
        catch (Exception) when (Volatile.Read(ref _failed))
        {
            // A call past the ones kept, waiting for a start that failed meanwhile.
            _lost(lost);
            return;
        }

        call(session);
    }

    /// <summary>
    /// The session is there: <paramref name="first"/> (what the start itself records) and then the calls kept are
    /// applied in order, then every call goes straight to it. They are applied outside the lock, a batch at a time, so
    /// that a call made meanwhile (by the app, or by a hook of a call being applied) only joins the next batch.
    /// </summary>
    public void Open(IdentitySession session, Action<IdentitySession>? first = null)
    {
        _opening = session;
        Volatile.Write(ref _openingThread, Environment.CurrentManagedThreadId);
        try
        {
            if (first is not null)
            {
                Apply(first, session);
            }

            while (TakeBatch(session) is { } batch)
            {
                foreach (var (call, _) in batch)
                {
                    Apply(call, session);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _openingThread, 0);
            _opening = null;
            _opened.TrySetResult(session);
        }
    }

    /// <summary>
    /// The client could not start: the calls kept and every later one are dropped and counted (logged once), and a
    /// read of the identity gets <paramref name="exception"/>.
    /// </summary>
    public void Fail(Exception exception)
    {
        int lost;
        lock (_gate)
        {
            lost = _early?.Count(static early => early.Records) ?? 0;
            _early = null;
            _failed = true;
        }

        try
        {
            _lost(lost);
            Log.StartFailed(_logger, lost, exception);
        }
        finally
        {
            _opened.TrySetException(exception);
        }
    }

    // The calls kept since the last batch; none left, the session is published instead, under the same lock.
    private List<(Action<IdentitySession> Call, bool Records)>? TakeBatch(IdentitySession session)
    {
        lock (_gate)
        {
            var batch = _early!;
            if (batch.Count == 0)
            {
                _early = null;
                Volatile.Write(ref _session, session);
                return null;
            }

            _early = [];
            return batch;
        }
    }

    private void Apply(Action<IdentitySession> call, IdentitySession session)
    {
        try
        {
            call(session);
        }
#pragma warning disable CA1031 // A call was checked when it was made; one failing now must not lose the calls after it.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            try
            {
                Log.EarlyCallFailed(_logger, exception);
            }
#pragma warning disable CA1031 // A logger that throws must not stop the start either.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }
}
