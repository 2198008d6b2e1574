namespace Mixpanel.Identity.Protocol;

/// <summary>
/// The names Mixpanel's ingestion API gives meaning to (ingestion API reference; "Identifying Users"). The client writes
/// them and the local server reads them from here.
/// </summary>
internal static class ReservedNames
{
    // Event properties.
    public const string Token = "token";
    public const string DistinctId = "distinct_id";
    public const string Time = "time";
    public const string InsertId = "$insert_id";
    public const string DeviceId = "$device_id";
    public const string UserId = "$user_id";
    public const string AnonDistinctId = "$anon_distinct_id";
    public const string Alias = "alias";
    public const string DistinctIds = "$distinct_ids";
    public const string Duration = "$duration";
    public const string Library = "mp_lib";
    public const string LibraryVersion = "$lib_version";
    public const string OperatingSystem = "$os";
    public const string Ip = "ip";

    // Special events.
    public const string IdentifyEvent = "$identify";
    public const string CreateAliasEvent = "$create_alias";
    public const string MergeEvent = "$merge";

    // Profile and group update fields.
    public const string ProfileToken = "$token";
    public const string ProfileDistinctId = "$distinct_id";
    public const string GroupKey = "$group_key";
    public const string GroupId = "$group_id";
    public const string ProfileIp = "$ip";
    public const string ProfileTime = "$time";
    public const string IgnoreTime = "$ignore_time";
    public const string IgnoreAlias = "$ignore_alias";

    // Profile operations, one per update record.
    public const string Set = "$set";
    public const string SetOnce = "$set_once";
    public const string Add = "$add";
    public const string Append = "$append";
    public const string Union = "$union";
    public const string Remove = "$remove";
    public const string Unset = "$unset";
    public const string Delete = "$delete";

    /// <summary>
    /// The fields of a profile or group update record, which name whose profile it is and how Mixpanel takes it: as a
    /// profile property they would change nobody's identity and only mislead, so an update may not name them.
    /// </summary>
    public static readonly string[] ProfileRecordFields = [ProfileToken, ProfileDistinctId, GroupKey, GroupId, ProfileTime, IgnoreTime, IgnoreAlias];

    /// <summary>Event properties the client sets on every event itself; an app's super properties may not take them.</summary>
    public static readonly string[] ManagedEventProperties = [Token, DistinctId, Time, InsertId, DeviceId, UserId];
}
