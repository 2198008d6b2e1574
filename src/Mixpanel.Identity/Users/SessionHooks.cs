using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The app's code the session runs: the <c>BeforeSend</c> hooks and the device-id provider of the options. Whatever
/// that code does — return nothing usable, throw — the app's call goes on: the record is dropped and counted, or a
/// random device id used, and the reason logged.
/// </summary>
internal sealed class SessionHooks(
    Func<MixpanelEvent, MixpanelEvent?>? beforeSendEvent,
    Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? beforeSendProfileUpdate,
    Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? beforeSendGroupUpdate,
    Func<string>? deviceIdProvider,
    ILogger logger)
{
    public static readonly SessionHooks None = new(null, null, null, null, NullLogger.Instance);

    public Func<MixpanelEvent, MixpanelEvent?>? BeforeSendEvent { get; } = beforeSendEvent;

    public Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? BeforeSendProfileUpdate { get; } = beforeSendProfileUpdate;

    public Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? BeforeSendGroupUpdate { get; } = beforeSendGroupUpdate;

    public static SessionHooks From(MixpanelOptions options, ILogger logger) =>
        options.BeforeSendEvent is null && options.BeforeSendProfileUpdate is null && options.BeforeSendGroupUpdate is null && options.DeviceIdProvider is null
            ? None
            : new(options.BeforeSendEvent, options.BeforeSendProfileUpdate, options.BeforeSendGroupUpdate, options.DeviceIdProvider, logger);

    /// <summary>A device id from the provider when there is one and its id is usable; a random UUID otherwise.</summary>
    public string NewDeviceId()
    {
        if (deviceIdProvider is null)
        {
            return IdentityState.NewDeviceId();
        }

        try
        {
            var id = deviceIdProvider();
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
    public bool Apply(
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

    /// <summary>Runs a profile or group hook; false when the update is dropped, with the reason to count.</summary>
    public bool Apply(Func<MixpanelProfileUpdate, MixpanelProfileUpdate?> hook, ref ProfileUpdate update, out DropReason reason)
    {
        try
        {
            var result = hook(new MixpanelProfileUpdate(update));
            if (result is null)
            {
                reason = DropReason.Filtered;
                return false;
            }

            update = result.Update;
            reason = default;
            return true;
        }
#pragma warning disable CA1031 // The app's hook may throw anything; the app's call goes on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.HookFailed(logger, "BeforeSendProfileUpdate/BeforeSendGroupUpdate", exception);
            reason = DropReason.HookFailed;
            return false;
        }
    }
}
