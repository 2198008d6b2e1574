namespace Mixpanel.Identity;

/// <summary>
/// The Mixpanel client for servers as apps use it: events, logins and profiles of visitors named per call, and
/// imports of history. Implemented by <see cref="MixpanelServerClient"/>; depend on this interface to substitute the
/// client in your own tests (the Testing package's <c>FakeMixpanelServerClient</c> records what it would send).
/// </summary>
public interface IMixpanelServerClient
{
    /// <summary>Counters of accepted, sent, retried, queued and dropped records.</summary>
    MixpanelDiagnostics Diagnostics { get; }

    /// <summary>Mixpanel's feature flags and experiments for visitors; the Testing package's fake answers scripted variants.</summary>
    MixpanelFlags Flags { get; }

    /// <summary>Records an event of <paramref name="visitor"/>.</summary>
    /// <param name="visitor">Who the event is about.</param>
    /// <param name="eventName">The event name.</param>
    /// <param name="properties">The event's own properties; they win over the visitor's request properties.</param>
    /// <exception cref="ArgumentException">The name, or a property, is one Mixpanel cannot take.</exception>
    void Track(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties = null);

    /// <summary>The visitor has signed in: returns them as <paramref name="userId"/>, linked to their anonymous id as the ID-merge system requires.</summary>
    /// <param name="visitor">The visitor before signing in.</param>
    /// <param name="userId">The user's stable id, such as a database key.</param>
    /// <returns>The visitor, signed in.</returns>
    /// <exception cref="ArgumentException">The id is one Mixpanel would refuse.</exception>
    MixpanelVisitor Identify(MixpanelVisitor visitor, string userId);

    /// <summary>The profile of <paramref name="visitor"/>'s user; updates for a visitor who is not signed in are dropped, counted.</summary>
    /// <param name="visitor">Whose profile.</param>
    /// <returns>The profile.</returns>
    MixpanelPeople People(MixpanelVisitor visitor);

    /// <summary>A group's profile, to update it.</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    /// <returns>The group's profile.</returns>
    MixpanelGroup GetGroup(string groupKey, object groupId);

    /// <summary>Imports history through <c>/import</c> with the project's credentials.</summary>
    /// <param name="events">The events, read once.</param>
    /// <param name="progress">Told after each request.</param>
    /// <param name="cancellationToken">Stops the import; what was acknowledged stays imported.</param>
    /// <returns>What was imported, and what was refused with why.</returns>
    /// <exception cref="InvalidOperationException">No credentials are set, or Mixpanel refused them.</exception>
    Task<MixpanelImportResult> ImportAsync(IAsyncEnumerable<MixpanelImportEvent> events, IProgress<MixpanelImportProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Completes when every record made before the call has been delivered or dropped (counted), or delivery halted.</summary>
    /// <param name="cancellationToken">Ends the wait early; records stay queued.</param>
    /// <returns>A task that completes then.</returns>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when every record made before the call is stored (on disk, with <see cref="StorageMode.Disk"/>).</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    /// <returns>A task that completes then.</returns>
    Task PersistAsync(CancellationToken cancellationToken = default);
}
