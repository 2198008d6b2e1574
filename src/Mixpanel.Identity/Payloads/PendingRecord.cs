using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Payloads;

/// <summary>A record accepted from the app and not yet serialized: everything needed to write it, captured at the call.</summary>
internal abstract class PendingRecord
{
    public abstract RecordEndpoint Endpoint { get; }

    /// <summary>
    /// How many opt-outs there had been when the record was made. A record made just before an opt-out can reach the
    /// queue just after its purge; the writer drops it by this number.
    /// </summary>
    public int OptOutGeneration { get; set; }
}

/// <summary>An event for <c>/track</c>, with the identity and super properties current at its <c>Track</c> call.</summary>
internal sealed class EventRecord : PendingRecord
{
    public EventRecord(string name, PropertyMap properties, EventIdentity identity, long timeMilliseconds, double? durationSeconds)
    {
        Name = name;
        Properties = properties;
        Identity = identity;
        TimeMilliseconds = timeMilliseconds;
        DurationSeconds = durationSeconds;
    }

    public override RecordEndpoint Endpoint => RecordEndpoint.Track;

    public string Name { get; }

    /// <summary>The call's own properties; they win over super properties, which win over automatic ones.</summary>
    public PropertyMap Properties { get; }

    /// <summary>Who the event is about, and the super properties registered then.</summary>
    public EventIdentity Identity { get; }

    public long TimeMilliseconds { get; }

    /// <summary>Seconds since the matching <c>TimeEvent</c>, when there was one.</summary>
    public double? DurationSeconds { get; }

    /// <summary>
    /// The properties the app gave the event, merged as they are sent: the super properties, the call's own over them,
    /// and <c>$duration</c> where neither set it. Without the automatic ones (token, time, ids, library).
    /// </summary>
    public PropertyMap AppProperties()
    {
        var merged = Identity.SuperProperties.With(Properties, overwrite: true);
        return DurationSeconds is { } duration
            ? merged.With(new PropertyMap([new(ReservedNames.Duration, duration)]), overwrite: false)
            : merged;
    }

    /// <summary>
    /// The id the event is sent with as <paramref name="name"/> (<c>distinct_id</c>, <c>$device_id</c>, <c>$user_id</c>):
    /// the call's own or a super property's, which win as they do over every automatic property, else
    /// <paramref name="identityValue"/>, the identity's.
    /// </summary>
    public string? SentId(string name, string? identityValue) =>
        (Properties.TryGetValue(name, out var own) || Identity.SuperProperties.TryGetValue(name, out own)) && own is not null
            ? Convert.ToString(own, System.Globalization.CultureInfo.InvariantCulture)
            : identityValue;
}

/// <summary>A user profile update for <c>/engage</c>, addressed to a user id (never a <c>$device:</c> id).</summary>
internal sealed class ProfileRecord : PendingRecord
{
    public ProfileRecord(ProfileUpdate update, string userId, string deviceId, string? ip = null)
    {
        Update = update;
        UserId = userId;
        DeviceId = deviceId;
        Ip = ip;
    }

    public override RecordEndpoint Endpoint => RecordEndpoint.Engage;

    public ProfileUpdate Update { get; }

    /// <summary>The user the update is for: its <c>$distinct_id</c> and <c>$user_id</c>.</summary>
    public string UserId { get; }

    public string DeviceId { get; }

    /// <summary>The address Mixpanel locates the profile by (<c>$ip</c>): a server's visitor's, not the server's.</summary>
    public string? Ip { get; }
}

/// <summary>A group profile update for <c>/groups</c>.</summary>
internal sealed class GroupRecord : PendingRecord
{
    public GroupRecord(ProfileUpdate update, string groupKey, object groupId)
    {
        Update = update;
        GroupKey = groupKey;
        GroupId = groupId;
    }

    public override RecordEndpoint Endpoint => RecordEndpoint.Groups;

    public ProfileUpdate Update { get; }

    public string GroupKey { get; }

    /// <summary>A string or number, as Mixpanel group ids are.</summary>
    public object GroupId { get; }
}
