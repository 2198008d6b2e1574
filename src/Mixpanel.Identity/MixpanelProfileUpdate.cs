using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity;

/// <summary>
/// Where <see cref="MixpanelPeople"/> and <see cref="MixpanelGroup"/> send the profile updates they make, checked. The
/// client sends them to Mixpanel; a fake of <see cref="IMixpanelClient"/> can keep them instead.
/// </summary>
public interface IMixpanelProfileSink
{
    /// <summary>Takes one profile update.</summary>
    /// <param name="update">The update, its arguments already checked.</param>
    void Send(MixpanelProfileUpdate update);
}

/// <summary>One profile operation, as Mixpanel's <c>/engage</c> and <c>/groups</c> take it. Immutable.</summary>
public sealed class MixpanelProfileUpdate
{
    internal MixpanelProfileUpdate(ProfileUpdate update) => Update = update;

    /// <summary>The operation, as Mixpanel names it: <c>$set</c>, <c>$set_once</c>, <c>$add</c>, <c>$append</c>, <c>$union</c>, <c>$remove</c>, <c>$unset</c> or <c>$delete</c>.</summary>
    public string Operation => ProfileUpdate.WireName(Update.Operation);

    /// <summary>The properties the operation sets, adds to, appends to, unions or removes from; empty for <c>$unset</c> and <c>$delete</c>.</summary>
    public IReadOnlyDictionary<string, object?> Properties => Update.Payload as PropertyMap ?? PropertyMap.Empty;

    /// <summary>The names of the properties the operation touches: those of <see cref="Properties"/>, or those <c>$unset</c> removes.</summary>
    public IReadOnlyList<string> Names => Update.Payload switch
    {
        PropertyMap map => [.. map.Keys],
        PropertyList names => [.. names.Cast<string>()],
        _ => [],
    };

    internal ProfileUpdate Update { get; }

    /// <summary>The same operation with other properties, for a <c>BeforeSend</c> hook (checked as the profile calls check them).</summary>
    /// <param name="properties">The new properties.</param>
    /// <exception cref="InvalidOperationException">The operation is <c>$unset</c> or <c>$delete</c>, which take no properties.</exception>
    /// <exception cref="ArgumentException">A value is not one Mixpanel can store.</exception>
    public MixpanelProfileUpdate WithProperties(IReadOnlyDictionary<string, object?> properties) =>
        Update.Payload is PropertyMap
            ? new MixpanelProfileUpdate(new ProfileUpdate(Update.Operation, PropertyValues.Snapshot(properties, nameof(properties))))
            : throw new InvalidOperationException($"{Operation} takes no properties.");

    /// <inheritdoc />
    public override string ToString() => $"{Operation} {string.Join(", ", Names)}";
}
