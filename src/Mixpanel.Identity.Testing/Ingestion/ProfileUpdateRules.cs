using Mixpanel.Identity.Protocol;
namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The rules for user profile updates on <c>/engage</c>, as a table: the fields an update may carry besides its operation,
/// and the operations Mixpanel's profile API documents. The fields are those Mixpanel documents and its official
/// libraries send: the browser library adds <c>$device_id</c>, <c>$user_id</c> and <c>$had_persisted_distinct_id</c>; the
/// node library's modifiers are <c>$ip</c>, <c>$time</c>, <c>$ignore_time</c>, <c>$ignore_alias</c> and
/// <c>$latitude</c>/<c>$longitude</c> (which the geolocation guide also documents for profiles).
/// </summary>
internal static class ProfileUpdateRules
{
    public static readonly UpdateKind Kind = new(
        "profile",
        [
            new(ReservedNames.ProfileToken, FieldRule.Token),
            new(ReservedNames.ProfileDistinctId, FieldRule.DistinctId, required: true),
            new(ReservedNames.DeviceId, FieldRule.String),
            new(ReservedNames.UserId, FieldRule.String),
            .. UpdateRules.Modifiers,
            new("$had_persisted_distinct_id", FieldRule.Boolean),
        ],
        [
            new(ReservedNames.Set, OperationValues.Any),
            new(ReservedNames.SetOnce, OperationValues.Any),
            new(ReservedNames.Add, OperationValues.Numbers),
            new(ReservedNames.Append, OperationValues.Any),
            new(ReservedNames.Union, OperationValues.Arrays),
            new(ReservedNames.Remove, OperationValues.Any),
            new(ReservedNames.Unset, OperationValues.PropertyNames),
            new(ReservedNames.Delete, OperationValues.Ignored),
        ]);
}
