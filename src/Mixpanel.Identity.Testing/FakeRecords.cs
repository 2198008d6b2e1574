namespace Mixpanel.Identity.Testing;

/// <summary>An event an app tracked through a <see cref="FakeMixpanelClient"/> or a <see cref="FakeMixpanelServerClient"/>.</summary>
/// <param name="Name">The event's name.</param>
/// <param name="Properties">
/// Its properties as they would be sent, without the automatic ones (token, time, ids, library): the super properties
/// registered then (for a server, the visitor's request properties and address), overridden by the call's own, and
/// <c>$duration</c> when timed.
/// </param>
/// <param name="DistinctId">The distinct id it went under: the user id once identified, <c>$device:</c> + device id before.</param>
/// <param name="DeviceId">The device id then.</param>
/// <param name="UserId">The user id then; null while anonymous.</param>
/// <param name="Time">When it happened: when it was tracked on the fake's clock, or the <c>time</c> the call gave.</param>
public sealed record TrackedEvent(string Name, IReadOnlyDictionary<string, object?> Properties, string DistinctId, string DeviceId, string? UserId, DateTimeOffset Time);

/// <summary>A user profile update an app made through a <see cref="FakeMixpanelClient"/> or a <see cref="FakeMixpanelServerClient"/>.</summary>
/// <param name="UserId">The user it went to (updates made while anonymous are held until <c>Identify</c>, as the client holds them).</param>
/// <param name="Update">The operation and its properties.</param>
public sealed record ProfileUpdateRecord(string UserId, MixpanelProfileUpdate Update);

/// <summary>A group profile update an app made through a <see cref="FakeMixpanelClient"/> or a <see cref="FakeMixpanelServerClient"/>.</summary>
/// <param name="GroupKey">The group key.</param>
/// <param name="GroupId">The group's id.</param>
/// <param name="Update">The operation and its properties.</param>
public sealed record GroupUpdateRecord(string GroupKey, object GroupId, MixpanelProfileUpdate Update);
