using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The app's code the clients run: the <c>BeforeSend</c> hooks and the device-id provider of the options. Whatever
/// that code does — return nothing usable, throw — the app's call goes on: the record is dropped and counted, or a
/// random device id used, and the reason logged.
/// </summary>
internal sealed class SessionHooks(MixpanelOptions options, ILogger logger, DeliveryCounters counters)
{
    private readonly Func<MixpanelEvent, MixpanelEvent?>? _beforeSendEvent = options.BeforeSendEvent;
    private readonly Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? _beforeSendProfileUpdate = options.BeforeSendProfileUpdate;
    private readonly Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? _beforeSendGroupUpdate = options.BeforeSendGroupUpdate;
    private readonly Func<string>? _deviceIdProvider = options.DeviceIdProvider;
    private readonly bool _optedOutByDefault = options.OptOutTrackingByDefault;

    /// <summary>
    /// Runs <see cref="MixpanelOptions.BeforeSendEvent"/>, if any, on an event about to be queued: true, with the event
    /// as the hook left it (the hook saw the super properties among the properties, so the identity goes on without
    /// them), or false when the event is dropped, counted.
    /// </summary>
    public bool TryEvent(ref string name, ref PropertyMap properties, ref EventIdentity identity)
    {
        if (_beforeSendEvent is null)
        {
            return true;
        }

        if (!Apply(_beforeSendEvent, name, properties, identity, out name, out properties, out var reason))
        {
            counters.OnDropped(reason, 1, wasQueued: false);
            return false;
        }

        identity = new EventIdentity(identity.DistinctId, identity.DeviceId, identity.UserId, PropertyMap.Empty);
        return true;
    }

    /// <summary>Runs <see cref="MixpanelOptions.BeforeSendProfileUpdate"/>, if any: false when the update is dropped, counted.</summary>
    public bool TryProfileUpdate(ref ProfileUpdate update) => TryUpdate(_beforeSendProfileUpdate, ref update);

    /// <summary>Runs <see cref="MixpanelOptions.BeforeSendGroupUpdate"/>, if any: false when the update is dropped, counted.</summary>
    public bool TryGroupUpdate(ref ProfileUpdate update) => TryUpdate(_beforeSendGroupUpdate, ref update);

    /// <summary>The identity of a device seen for the first time: a new device id, opted out if the options say so.</summary>
    public IdentityState NewIdentity() => IdentityState.CreateNew(NewDeviceId(), _optedOutByDefault);

    /// <summary>A device id from the provider when there is one and its id is usable; a random UUID otherwise.</summary>
    public string NewDeviceId()
    {
        if (_deviceIdProvider is null)
        {
            return IdentityState.NewDeviceId();
        }

        try
        {
            var id = _deviceIdProvider();
            if (id is not null && IdentityState.IsValidDeviceId(id))
            {
                return id;
            }

            Log.DeviceIdRefused(logger);
        }
#pragma warning disable CA1031 // The app's provider may throw anything; a device id is made all the same.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.DeviceIdProviderFailed(logger, exception);
        }

        return IdentityState.NewDeviceId();
    }

    /// <summary>Runs the event hook; false when the event is dropped, with the reason to count.</summary>
    private bool Apply(
        Func<MixpanelEvent, MixpanelEvent?> hook,
        string name,
        PropertyMap properties,
        EventIdentity identity,
        out string hookedName,
        out PropertyMap hookedProperties,
        out DropReason reason)
    {
        hookedName = name;
        hookedProperties = properties;
        try
        {
            var result = hook(new MixpanelEvent(name, identity.SuperProperties.With(properties, overwrite: true), identity.DistinctId));
            if (result is null)
            {
                reason = DropReason.Filtered;
                return false;
            }

            if (string.IsNullOrWhiteSpace(result.Name) || !WellFormedText.IsWellFormed(result.Name))
            {
                throw new ArgumentException("The hook returned an event without a usable name.");
            }

            hookedName = result.Name;
            hookedProperties = PropertyValues.Snapshot(result.Properties, nameof(properties));
            reason = default;
            return true;
        }
#pragma warning disable CA1031 // The app's hook may throw anything; the app's call goes on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.HookFailed(logger, "BeforeSendEvent", exception);
            reason = DropReason.HookFailed;
            return false;
        }
    }

    /// <summary>Runs a profile or group hook, if any; false when the update is dropped, counted.</summary>
    private bool TryUpdate(Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? hook, ref ProfileUpdate update)
    {
        if (hook is null)
        {
            return true;
        }

        try
        {
            var result = hook(new MixpanelProfileUpdate(update));
            if (result is null)
            {
                counters.OnDropped(DropReason.Filtered, 1, wasQueued: false);
                return false;
            }

            update = result.Update;
            return true;
        }
#pragma warning disable CA1031 // The app's hook may throw anything; the app's call goes on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.HookFailed(logger, "BeforeSendProfileUpdate/BeforeSendGroupUpdate", exception);
            counters.OnDropped(DropReason.HookFailed, 1, wasQueued: false);
            return false;
        }
    }
}
