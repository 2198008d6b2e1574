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
            new("$token", FieldRule.Token),
            new("$distinct_id", FieldRule.DistinctId, required: true),
            new("$device_id", FieldRule.String),
            new("$user_id", FieldRule.String),
            new("$ip", FieldRule.String),
            new("$time", FieldRule.Milliseconds),
            new("$ignore_time", FieldRule.Boolean),
            new("$ignore_alias", FieldRule.Boolean),
            new("$latitude", FieldRule.Number),
            new("$longitude", FieldRule.Number),
            new("$had_persisted_distinct_id", FieldRule.Boolean),
        ],
        [
            new("$set", OperationValues.Any),
            new("$set_once", OperationValues.Any),
            new("$add", OperationValues.Numbers),
            new("$append", OperationValues.Any),
            new("$union", OperationValues.Arrays),
            new("$remove", OperationValues.Any),
            new("$unset", OperationValues.PropertyNames),
            new("$delete", OperationValues.Ignored),
        ]);
}
