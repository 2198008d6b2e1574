namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The rules for group profile updates on <c>/groups</c>, as a table: a group is named by its key and id, and takes the
/// profile operations except <c>$add</c> and <c>$append</c>, which Mixpanel's group API does not document.
/// </summary>
internal static class GroupUpdateRules
{
    public static readonly UpdateKind Kind = new(
        "group",
        [
            new("$token", FieldRule.Token),
            new("$group_key", FieldRule.NonEmptyString, required: true),
            new("$group_id", FieldRule.NonEmptyStringOrNumber, required: true),
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
