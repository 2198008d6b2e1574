namespace Mixpanel.Identity.Users;

/// <summary>
/// The identity shared with other processes: this process's view follows what was saved, and what another process
/// changed is read when the shared change counter moves.
/// </summary>
internal sealed partial class IdentitySession
{
    /// <summary>
    /// The sink saved <paramref name="changes"/> of this process's changes, and the identity is now
    /// <paramref name="saved"/> (with any other process's changes in it) at <paramref name="version"/>.
    /// </summary>
    public void OnSaved(IdentityState saved, int version, int changes)
    {
        lock (_gate)
        {
            _unsaved -= changes;
            if (_unsaved == 0)
            {
                Adopt(saved, version);
            }
        }
    }

    /// <summary>
    /// The sink read the stored identity at <paramref name="version"/> (off the app's thread, on
    /// <see cref="IRecordSink.CatchUp"/>): it becomes this process's view unless a change of this process is on its way.
    /// </summary>
    public void OnStoredChange(IdentityState latest, int version)
    {
        lock (_gate)
        {
            if (_unsaved == 0 && version != _seenVersion)
            {
                Adopt(latest, version);
            }
        }
    }

    /// <summary>
    /// This process's view as it is, for <c>Track</c>, which never reads a file: when another process changed the
    /// identity, the sink is asked to read it, and the view follows from a later call on. While a change of this
    /// process is on its way there is nothing to ask: its save brings the stored identity with it (<see cref="OnSaved"/>).
    /// </summary>
    private IdentityState CurrentWithoutReading()
    {
        var version = _store.Version;
        if (version != _seenVersion && Volatile.Read(ref _unsaved) == 0 && Interlocked.Exchange(ref _catchUpAsked, version) != version)
        {
            _sink.CatchUp();
        }

        return _state;
    }

    private IdentityState CurrentLocked()
    {
        if (_store.Version != _seenVersion && _unsaved == 0)
        {
            var version = _store.Version;
            if (_store.ReadLatest() is { } latest)
            {
                Adopt(latest, version);
            }
            else
            {
                // Unreadable for now: tried again at the next change.
                _seenVersion = version;
            }
        }

        return _state;
    }

    private void CatchUp()
    {
        lock (_gate)
        {
            CurrentLocked();
        }
    }

    /// <summary>Takes <paramref name="latest"/> as this process's view, acting on what another process changed.</summary>
    private void Adopt(IdentityState latest, int version)
    {
        var before = _state;
        _seenVersion = version;
        _state = latest;
        if (latest.OptedOut && !before.OptedOut)
        {
            PurgeQueued();
        }
    }
}
