using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The limits on what the identity holds, enforced when it changes so that whatever a call accepts is stored and read
/// back (<see cref="IdentityFile.MaxFileBytes"/> is above their sum).
/// </summary>
internal static class IdentityBudgets
{
    /// <summary>Most profile updates held while anonymous; beyond it the oldest go (counted).</summary>
    public const int MaxHeldProfileUpdates = 1000;

    /// <summary>Most bytes of held profile updates, as JSON; beyond it the oldest go (counted).</summary>
    public const int MaxHeldBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Most bytes of super properties, as JSON: they go out with every event, and Mixpanel refuses an event of 1 MB,
    /// so more would leave no event deliverable.
    /// </summary>
    public const int MaxSuperPropertyBytes = 512 * 1024;
}

/// <summary>What applying changes to the stored identity released or dropped, for the queue to act on.</summary>
internal sealed class ChangeEffects
{
    /// <summary>Held profile updates released to a user id, in the order they were made.</summary>
    public List<ProfileRecord> Released { get; } = [];

    /// <summary>Held updates dropped, by reason, to be counted.</summary>
    public Dictionary<DropReason, int> Dropped { get; } = [];

    public void Drop(DropReason reason, int count)
    {
        if (count > 0)
        {
            Dropped[reason] = Dropped.TryGetValue(reason, out var before) ? before + count : count;
        }
    }
}

/// <summary>
/// One change of identity, made by a call on one process and applied in order to the identity as it is stored (which
/// another process may have changed meanwhile). The same <see cref="Apply"/> gives the calling process its view at
/// once, so there is one rule for each change.
/// </summary>
internal abstract class IdentityChange
{
    public abstract IdentityState Apply(IdentityState state, ChangeEffects effects);

    /// <summary><c>Identify</c>: the user is known; updates held while anonymous go to them.</summary>
    public sealed class Identify(string userId) : IdentityChange
    {
        public override IdentityState Apply(IdentityState state, ChangeEffects effects)
        {
            if (string.Equals(state.UserId, userId, StringComparison.Ordinal))
            {
                return state;
            }

            foreach (var update in state.HeldProfileUpdates)
            {
                effects.Released.Add(new ProfileRecord(update, userId, state.DeviceId));
            }

            var alias = string.Equals(state.Alias, userId, StringComparison.Ordinal) ? state.Alias : null;
            return state.WithUser(userId, alias).WithHeldProfileUpdates([]);
        }
    }

    /// <summary><c>Alias</c>: the alias is linked to the device's distinct id.</summary>
    public sealed class Alias(string alias) : IdentityChange
    {
        public override IdentityState Apply(IdentityState state, ChangeEffects effects) => state.WithUser(state.UserId, alias);
    }

    /// <summary><c>TimeEvent</c> (a start) and the <c>Track</c> that ends a timer (no start); null name: every timer stops.</summary>
    public sealed class Timer(string? eventName, long? startTicks) : IdentityChange
    {
        public override IdentityState Apply(IdentityState state, ChangeEffects effects)
        {
            if (eventName is null)
            {
                return state.Timers.Count == 0 ? state : state.WithTimers(new Dictionary<string, long>());
            }

            var timers = new Dictionary<string, long>(state.Timers.Count + 1, StringComparer.Ordinal);
            foreach (var timer in state.Timers)
            {
                timers[timer.Key] = timer.Value;
            }

            if (startTicks is { } start)
            {
                timers[eventName] = start;
            }
            else if (!timers.Remove(eventName))
            {
                return state;
            }

            return state.WithTimers(timers);
        }
    }

    /// <summary><c>Reset</c>, and opting out: a new device, and nothing of the user kept.</summary>
    public sealed class Forget(string newDeviceId, bool optOut) : IdentityChange
    {
        public override IdentityState Apply(IdentityState state, ChangeEffects effects)
        {
            effects.Drop(optOut ? DropReason.OptedOut : DropReason.Reset, state.HeldProfileUpdates.Count);
            return IdentityState.CreateNew(newDeviceId, optOut || state.OptedOut);
        }
    }

    /// <summary><c>OptInTracking</c>.</summary>
    public sealed class OptIn : IdentityChange
    {
        public override IdentityState Apply(IdentityState state, ChangeEffects effects) => state.OptedOut ? state.WithOptedOut(false) : state;
    }

    /// <summary><c>Register</c> and <c>RegisterOnce</c>.</summary>
    public sealed class Register(PropertyMap properties, bool onlyIfAbsent) : IdentityChange
    {
        public override IdentityState Apply(IdentityState state, ChangeEffects effects)
        {
            var merged = state.SuperProperties.With(properties, overwrite: !onlyIfAbsent);
            return ReferenceEquals(merged, state.SuperProperties) ? state : state.WithSuperProperties(merged);
        }
    }

    /// <summary><c>Unregister</c> (one name) and <c>ClearSuperProperties</c> (no name).</summary>
    public sealed class Unregister(string? propertyName) : IdentityChange
    {
        public override IdentityState Apply(IdentityState state, ChangeEffects effects)
        {
            var remaining = propertyName is null ? PropertyMap.Empty : state.SuperProperties.Without(propertyName);
            return remaining.Count == state.SuperProperties.Count ? state : state.WithSuperProperties(remaining);
        }
    }

    /// <summary>
    /// A profile update made while anonymous: held until <c>Identify</c>, because a profile on a <c>$device:</c> id
    /// loses its properties when Mixpanel links the device. Released at once if the stored identity has a user.
    /// </summary>
    public sealed class Hold(ProfileUpdate update) : IdentityChange
    {
        public ProfileUpdate Update => update;

        public override IdentityState Apply(IdentityState state, ChangeEffects effects)
        {
            if (state.UserId is { } userId)
            {
                effects.Released.Add(new ProfileRecord(update, userId, state.DeviceId));
                return state;
            }

            if (update.JsonBytes > IdentityBudgets.MaxHeldBytes)
            {
                effects.Drop(DropReason.TooLarge, 1);
                return state;
            }

            var held = new List<ProfileUpdate>(state.HeldProfileUpdates.Count + 1);
            held.AddRange(state.HeldProfileUpdates);
            held.Add(update);
            var bytes = held.Sum(static h => (long)h.JsonBytes);
            var drop = 0;
            while (held.Count - drop > IdentityBudgets.MaxHeldProfileUpdates || bytes > IdentityBudgets.MaxHeldBytes)
            {
                bytes -= held[drop++].JsonBytes;
            }

            effects.Drop(DropReason.QueueFull, drop);
            return state.WithHeldProfileUpdates(drop == 0 ? held : held.GetRange(drop, held.Count - drop));
        }
    }
}
