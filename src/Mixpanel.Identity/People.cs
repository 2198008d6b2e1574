using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Users;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity;

/// <summary>
/// The user's profile in Mixpanel (<c>client.People</c>), updated through <c>/engage</c>. Updates are sent to the user
/// id; made while the user is anonymous, they are held (and kept across restarts) until <see cref="MixpanelClient.Identify"/>,
/// because a profile on a <c>$device:</c> id loses its properties when Mixpanel links the device to the user.
/// </summary>
public sealed class MixpanelPeople
{
    private readonly IMixpanelProfileSink _sink;

    /// <summary>
    /// A profile whose updates, checked as the client checks them, go to <paramref name="sink"/>: for a fake of
    /// <see cref="IMixpanelClient"/>. The client makes its own.
    /// </summary>
    /// <param name="sink">Where the updates go.</param>
    public MixpanelPeople(IMixpanelProfileSink sink)
    {
        Guard.NotNull(sink);
        _sink = sink;
    }

    internal MixpanelPeople(SessionStart start)
        : this(new SessionSink(start))
    {
    }

    /// <summary>Sets profile properties, replacing existing values (<c>$set</c>).</summary>
    /// <param name="properties">The properties.</param>
    public void Set(IReadOnlyDictionary<string, object?> properties) => Send(ProfileUpdate.ForProperties(ProfileOperation.Set, properties));

    /// <summary>Sets one profile property, replacing its value (<c>$set</c>).</summary>
    /// <param name="name">The property's name.</param>
    /// <param name="value">The value.</param>
    public void Set(string name, object? value) => Send(ProfileUpdate.ForProperty(ProfileOperation.Set, name, value));

    /// <summary>Sets profile properties that are not set yet (<c>$set_once</c>).</summary>
    /// <param name="properties">The properties.</param>
    public void SetOnce(IReadOnlyDictionary<string, object?> properties) => Send(ProfileUpdate.ForProperties(ProfileOperation.SetOnce, properties));

    /// <summary>Sets one profile property if it is not set yet (<c>$set_once</c>).</summary>
    /// <param name="name">The property's name.</param>
    /// <param name="value">The value.</param>
    public void SetOnce(string name, object? value) => Send(ProfileUpdate.ForProperty(ProfileOperation.SetOnce, name, value));

    /// <summary>Adds to a numeric profile property (<c>$add</c>); a missing property counts from 0.</summary>
    /// <param name="name">The property's name.</param>
    /// <param name="by">The amount; negative to subtract.</param>
    public void Increment(string name, double by = 1)
    {
        if (double.IsNaN(by) || double.IsInfinity(by))
        {
            throw new ArgumentException("The amount must be a finite number.", nameof(by));
        }

        Send(ProfileUpdate.ForProperty(ProfileOperation.Add, name, by));
    }

    /// <summary>Appends a value to a list profile property (<c>$append</c>).</summary>
    /// <param name="name">The property's name.</param>
    /// <param name="value">The value to append.</param>
    public void Append(string name, object? value) => Send(ProfileUpdate.ForProperty(ProfileOperation.Append, name, value));

    /// <summary>Adds values to a list profile property, skipping those already in it (<c>$union</c>).</summary>
    /// <exception cref="ArgumentException">The list is empty, or holds a value that is neither a string nor a number.</exception>
    /// <param name="name">The property's name.</param>
    /// <param name="values">The values.</param>
    public void Union(string name, IEnumerable<object?> values) => Send(ProfileUpdate.ForUnion(name, values));

    /// <summary>Removes a value from a list profile property (<c>$remove</c>).</summary>
    /// <param name="name">The property's name.</param>
    /// <param name="value">The value to remove.</param>
    public void Remove(string name, object? value) => Send(ProfileUpdate.ForProperty(ProfileOperation.Remove, name, value));

    /// <summary>Removes profile properties (<c>$unset</c>).</summary>
    /// <param name="names">The properties' names.</param>
    public void Unset(params string[] names) => Send(ProfileUpdate.ForUnset(names));

    /// <summary>
    /// Deletes the user's profile (<c>$delete</c>). Needs an identified user: while anonymous there is no profile to
    /// delete, and the call is logged and counted as <see cref="DropReason.NotIdentified"/>.
    /// </summary>
    public void DeleteUser() => Send(new ProfileUpdate(ProfileOperation.Delete, null));

    private void Send(ProfileUpdate? update)
    {
        if (update is not null)
        {
            _sink.Send(new MixpanelProfileUpdate(update));
        }
    }

    private sealed class SessionSink(SessionStart start) : IMixpanelProfileSink
    {
        public void Send(MixpanelProfileUpdate update) => start.Run(session => session.UpdateProfile(update.Update));
    }
}
