using Mixpanel.Identity.Protocol;
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
            new(ReservedNames.ProfileToken, FieldRule.Token),
            new(ReservedNames.GroupKey, FieldRule.NonEmptyString, required: true),
            new(ReservedNames.GroupId, FieldRule.NonEmptyStringOrNumber, required: true),
            .. UpdateRules.Modifiers,
        ],
        [
            new(ReservedNames.Set, OperationValues.Any),
            new(ReservedNames.SetOnce, OperationValues.Any),
            new(ReservedNames.Union, OperationValues.Arrays),
            new(ReservedNames.Remove, OperationValues.Any),
            new(ReservedNames.Unset, OperationValues.PropertyNames),
            new(ReservedNames.Delete, OperationValues.Ignored),
        ]);
}
