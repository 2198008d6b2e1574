using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Users;

/// <summary>Profile updates: a user's go to the user id, or wait in the identity until there is one; a group's go at once.</summary>
internal sealed partial class IdentitySession
{
    /// <summary>A user profile update: sent to the user id, or held until <c>Identify</c> while anonymous.</summary>
    public void UpdateProfile(ProfileUpdate update)
    {
        if (!_hooks.TryProfileUpdate(ref update))
        {
            return;
        }

        lock (_gate)
        {
            var state = CurrentLocked();
            if (_closed)
            {
                _counters.OnDropped(DropReason.Disposed, 1, wasQueued: false);
                Log.RecordAfterDispose(_logger);
                return;
            }

            if (state.OptedOut)
            {
                _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: false);
                return;
            }

            if (state.UserId is { } userId)
            {
                Enqueue(new ProfileRecord(update, userId, state.DeviceId), _optOutGeneration);
                return;
            }

            if (update.Operation == ProfileOperation.Delete)
            {
                // Held, it would delete whichever user signs in next.
                _counters.OnDropped(DropReason.NotIdentified, 1, wasQueued: false);
                Log.DeleteUserWhileAnonymous(_logger);
                return;
            }

            Change(new IdentityChange.Hold(update));
        }
    }

    public void UpdateGroup(GroupRecord record)
    {
        var update = record.Update;
        if (!_hooks.TryGroupUpdate(ref update))
        {
            return;
        }

        if (!ReferenceEquals(update, record.Update))
        {
            record = new GroupRecord(update, record.GroupKey, record.GroupId);
        }

        var generation = _optOutGeneration;
        if (Current.OptedOut)
        {
            _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: false);
            return;
        }

        Enqueue(record, generation);
    }
}
