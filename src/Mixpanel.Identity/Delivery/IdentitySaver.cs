using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// The identity saver: saves a device's identity changes in order with its records, releases held profile updates
/// once, and reads another process's change for the session off the app's thread. The server client, whose visitors
/// are given per call, has none. Used by the loop alone.
/// </summary>
internal sealed class IdentitySaver
{
    private readonly IdentityStore _store;
    private readonly IdentitySession _session;
    private readonly RecordWriter _writer;
    private readonly DeliveryCounters _counters;
    private readonly ILogger _logger;
    private readonly List<IdentityChange> _changes = [];
    private IdentityState _lastSaved;
    private int _catchUpAsked;

    // Held profile updates released to the queue whose identity could not be saved after: set until it is.
    private ReleasedState? _released;

    public IdentitySaver(IdentityStore store, IdentitySession session, RecordWriter writer, DeliveryCounters counters, ILogger logger)
    {
        _store = store;
        _session = session;
        _writer = writer;
        _counters = counters;
        _logger = logger;
        _lastSaved = session.Current;
    }

    /// <summary>Whether changes wait to be saved.</summary>
    public bool HasChanges => _changes.Count > 0;

    public bool IsDurable => _store.IsDurable;

    /// <summary>Takes a change, to be saved by <see cref="TrySave"/>.</summary>
    public void Add(IdentityChange change) => _changes.Add(change);

    /// <summary>Asks for another process's change to be read (from any thread): <see cref="CatchUp"/> reads it.</summary>
    public void AskCatchUp() => Volatile.Write(ref _catchUpAsked, 1);

    /// <summary>Reads the identity another process saved, for the session, if asked.</summary>
    public void CatchUp()
    {
        if (Interlocked.Exchange(ref _catchUpAsked, 0) == 0)
        {
            return;
        }

        var version = _store.Version;
        if (_store.ReadLatest() is { } latest)
        {
            _session.OnStoredChange(latest, version);
        }
    }

    /// <summary>
    /// Saves the changes taken, applied in order to the identity as stored (another process may have changed it); false
    /// while the disk is failing, the changes kept for the next attempt. Held profile updates that a change releases
    /// go into the queue under a tag that the stored identity names until the release is saved: if the process dies in
    /// between, the next start finds the tag and cuts those records off, and the updates, still held, are released
    /// once, later. If the identity cannot be saved after the release reached the queue, the next attempt saves what
    /// the release left, without releasing again; or, if another process saved the identity meanwhile, applies the
    /// changes to what it saved, the updates already released taken out of it.
    /// </summary>
    public bool TrySave(bool final, Func<long, QueueRecovery> adoptOrphans)
    {
        if (_changes.Count == 0)
        {
            return true;
        }

        if (!final && _writer.IsPaused)
        {
            return false;
        }

        try
        {
            using (_store.Lock())
            {
                // A release already in the queue, and no save by any process since it was marked: the identity it
                // leaves is what is left to save, with the changes taken since. Starting again from the stored
                // identity, which still holds the updates, would release them twice, and Mixpanel does not
                // deduplicate a profile's $add.
                var effects = new ChangeEffects();
                IdentityState from;
                var applied = 0;
                if (_released is { } released && _store.Version == released.Version)
                {
                    from = released.State;
                    applied = released.Changes;
                    foreach (var drop in released.Dropped)
                    {
                        effects.Drop(drop.Key, drop.Value);
                    }
                }
                else
                {
                    from = _store.ReadLatest() ?? _lastSaved;
                    if (from.PendingRelease != 0)
                    {
                        // A process died mid-release; adopting its slot discards that release's records.
                        adoptOrphans(from.PendingRelease);
                        from = from.WithPendingRelease(0);
                    }

                    // Another process saved the identity over this release's mark, from the identity that still held
                    // the updates released: the changes go again onto what it saved, without them.
                    from = _released?.TakeOutOf(from) ?? from;
                }

                var state = from;
                for (var i = applied; i < _changes.Count; i++)
                {
                    if (_released?.Covers(_changes[i]) != true)
                    {
                        state = _changes[i].Apply(state, effects);
                    }
                }

                if (effects.Released.Count > 0)
                {
                    var tag = NewReleaseTag();
                    _store.Save(from.WithPendingRelease(tag));
                    _writer.AppendReleased(effects.Released, tag);
                    _released = new ReleasedState(state, _changes.Count, effects.Dropped, _store.Version, ReleasedSoFar(effects));
                }

                _store.Save(state);
                _released = null;
                _lastSaved = state;
                foreach (var drop in effects.Dropped)
                {
                    _counters.OnDropped(drop.Key, drop.Value, wasQueued: false);
                    Log.HeldProfileUpdatesDropped(_logger, drop.Value, drop.Key);
                }

                var saved = _changes.Count;
                _changes.Clear();
                _session.OnSaved(state, _store.Version, saved);
                return true;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Kept, and saved with the next attempt; this process goes on with its own view meanwhile.
            Log.IdentitySaveFailed(_logger, exception);
            _writer.PauseForDisk(exception, logged: true);
            return false;
        }
    }

    /// <summary>The updates released while the identity is not saved: those of earlier attempts, and those of <paramref name="effects"/>.</summary>
    private List<ReleasedUpdate> ReleasedSoFar(ChangeEffects effects)
    {
        var released = _released?.Updates ?? [];
        foreach (var record in effects.Released)
        {
            var ownHold = _changes.Any(change => change is IdentityChange.Hold hold && ReferenceEquals(hold.Update, record.Update));
            released.Add(new ReleasedUpdate(record.Update, WasStored: !ownHold));
        }

        return released;
    }

    /// <summary>
    /// The identity a release left, the changes taken that it covers, the held updates they dropped, still to count, the
    /// store's version once the release was marked, and every update released since the identity was last saved.
    /// </summary>
    private sealed record ReleasedState(IdentityState State, int Changes, Dictionary<DropReason, int> Dropped, int Version, List<ReleasedUpdate> Updates)
    {
        /// <summary>Whether <paramref name="change"/> holds an update already released (applied again, it would be held or released twice).</summary>
        public bool Covers(IdentityChange change) =>
            change is IdentityChange.Hold hold && Updates.Any(released => ReferenceEquals(released.Update, hold.Update));

        /// <summary>
        /// <paramref name="stored"/> without the held updates released from the identity as stored. Read back from the
        /// file, they are other objects: they are matched by content, each released one taking out one held.
        /// </summary>
        public IdentityState TakeOutOf(IdentityState stored)
        {
            var released = Updates.Where(static update => update.WasStored).Select(static update => Content(update.Update)).ToList();
            var kept = new List<ProfileUpdate>(stored.HeldProfileUpdates.Count);
            foreach (var held in stored.HeldProfileUpdates)
            {
                if (!released.Remove(Content(held)))
                {
                    kept.Add(held);
                }
            }

            return kept.Count == stored.HeldProfileUpdates.Count ? stored : stored.WithHeldProfileUpdates(kept);
        }

        private static string Content(ProfileUpdate update)
        {
            var buffer = new ByteBuffer(256);
            using (var writer = new Utf8JsonWriter(buffer, JsonValues.WriterOptions))
            {
                JsonValues.Write(writer, update.Payload);
            }

            return ProfileUpdate.WireName(update.Operation) + Encoding.UTF8.GetString(buffer.WrittenSpan.ToArray());
        }
    }

    /// <summary>A released update, and whether it was held in the identity as stored (else a change of this process held it).</summary>
    private readonly record struct ReleasedUpdate(ProfileUpdate Update, bool WasStored);

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
