namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The rules for user profile updates on <c>/engage</c>, as a table: the fields an update may carry besides its operation,
/// and the operations Mixpanel's profile API documents.
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
