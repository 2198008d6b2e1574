using System.Security.Cryptography;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>The loop's part in identity: saving changes in order with the records, and releasing held profile updates once.</summary>
internal sealed partial class DeliveryEngine
{
    /// <summary>
    /// Saves the identity changes taken, applied in order to the identity as stored (another process may have
    /// changed it). Held profile updates that a change releases go into the queue under a tag that the stored
    /// identity names until the release is saved: if the process dies in between, the next start finds the tag and
    /// cuts those records off, and the updates, still held, are released once, later.
    /// </summary>
    private bool ApplyChanges(bool final)
    {
        if (!final && Now < _commitRetryAt)
        {
            return false;
        }

        try
        {
            using (_identity.Lock())
            {
                var stored = _identity.ReadLatest() ?? _lastSaved ?? _session!.Current;
                if (stored.PendingRelease != 0)
                {
                    // A process died mid-release; adopting its slot discards that release's records.
                    CountRecovery(_queue.AdoptOrphans(_segmentBytes, stored.PendingRelease));
                    stored = stored.WithPendingRelease(0);
                }

                var effects = new ChangeEffects();
                var state = stored;
                foreach (var change in _changes)
                {
                    state = change.Apply(state, effects);
                }

                if (effects.Released.Count > 0)
                {
                    var tag = NewReleaseTag();
                    _identity.Save(stored.WithPendingRelease(tag));
                    AppendReleased(effects.Released, tag);
                }

                _identity.Save(state);
                _lastSaved = state;
                foreach (var drop in effects.Dropped)
                {
                    _counters.OnDropped(drop.Key, drop.Value, wasQueued: false);
                    Log.HeldProfileUpdatesDropped(_logger, drop.Value, drop.Key);
                }

                var saved = _changes.Count;
                _changes.Clear();
                _session!.OnSaved(state, _identity.Version, saved);
                return true;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Kept, and saved with the next attempt; this process goes on with its own view meanwhile.
            Log.IdentitySaveFailed(_logger, exception);
            NextDiskPause();
            return false;
        }
    }

    /// <summary>Reads the identity another process saved, for the session (asked by <see cref="CatchUp"/>; the app's threads never read it).</summary>
    private void CatchUpWithStoredIdentity()
    {
        if (Interlocked.Exchange(ref _catchUpAsked, 0) == 0 || _session is null)
        {
            return;
        }

        var version = _identity.Version;
        if (_identity.ReadLatest() is { } latest)
        {
            _session.OnStoredChange(latest, version);
        }
    }

    private void AppendReleased(List<ProfileRecord> released, long tag)
    {
        var log = _queue[RecordEndpoint.Engage];
        var frames = new ByteBuffer(4 * 1024);
        var count = 0;
        _counters.OnAccepted(released.Count);
        foreach (var record in released)
        {
            if (TryFrame(frames, record, log.NextNumber + count, tag))
            {
                count++;
            }
        }

        _queue.Append(RecordEndpoint.Engage, frames, count);
        _counters.OnPersisted(count);
    }

    private static long NewReleaseTag()
    {
        var bytes = new byte[8];
#if NET
        RandomNumberGenerator.Fill(bytes);
#else
        using (var generator = RandomNumberGenerator.Create())
        {
            generator.GetBytes(bytes);
        }
#endif
        var tag = BitConverter.ToInt64(bytes, 0);
        return tag == 0 ? 1 : tag;
    }
}
