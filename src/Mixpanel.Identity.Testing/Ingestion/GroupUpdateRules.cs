namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The rules for group profile updates on <c>/groups</c>, as a table: a group is named by its key and id, and takes the
/// profile operations except <c>$add</c> and <c>$append</c>, which Mixpanel's group API does not document. Its other
/// fields are the modifiers Mixpanel's node library adds to group updates as to profile updates.
/// </summary>
internal static class GroupUpdateRules
{
    public static readonly UpdateKind Kind = new(
        "group",
        [
            new("$token", FieldRule.Token),
            new("$group_key", FieldRule.NonEmptyString, required: true),
            new("$group_id", FieldRule.NonEmptyStringOrNumber, required: true),
            new("$ip", FieldRule.String),
            new("$time", FieldRule.Milliseconds),
            new("$ignore_time", FieldRule.Boolean),
            new("$ignore_alias", FieldRule.Boolean),
            new("$latitude", FieldRule.Number),
            new("$longitude", FieldRule.Number),
        ],
        [
            new("$set", OperationValues.Any),
            new("$set_once", OperationValues.Any),
            new("$union", OperationValues.Arrays),
            new("$remove", OperationValues.Any),
            new("$unset", OperationValues.PropertyNames),
            new("$delete", OperationValues.Ignored),
        ]);
}
