using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.DependencyInjection;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Flags;

namespace Mixpanel.Identity;

/// <summary>
/// The Mixpanel client for servers: one long-lived object per process that tracks for every visitor, each call naming
/// who it is about (<see cref="MixpanelVisitor"/>) instead of a stored identity. Beside <see cref="MixpanelClient"/>,
/// which is one device's client, it uses the same durable queue and sender. Every member is safe to call from any
/// thread; <c>Track</c> and the profile calls never block on I/O.
/// </summary>
public sealed class MixpanelServerClient : IMixpanelServerClient, IAsyncDisposable, IDisposable, IFlushOnStop
{
    private readonly ClientRuntime _runtime;
    private readonly VisitorCalls _calls;

    /// <summary>Creates a server client.</summary>
    /// <param name="options">The settings; <see cref="MixpanelOptions.ProjectToken"/> is required. The queue lives in <c>server/</c> under the storage directory.</param>
    /// <param name="httpClient">The HTTP client to send with; by default the client makes and owns one.</param>
    /// <param name="timeProvider">The clock; by default the system clock.</param>
    /// <param name="loggerFactory">Where to log; by default nowhere.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public MixpanelServerClient(MixpanelOptions options, HttpClient? httpClient = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        var checkedOptions = ClientRuntime.CheckedCopy(options);
        var clock = timeProvider ?? TimeProvider.System;
        var logger = ClientRuntime.CreateLogger(loggerFactory);
        var counters = new DeliveryCounters();
        var directory = checkedOptions is { Enabled: true, Storage: StorageMode.Disk } ? ClientStorage.Prepare(checkedOptions, logger, "server") : null;

        // Identity is given per call: there is no device identity, and nothing of it is stored.
        _runtime = new ClientRuntime(
            this, checkedOptions, logger, clock, counters, store: null, directory is null ? null : Path.Combine(directory, "queue"), httpClient, RecordDefaults.ForVisitors(checkedOptions));
        // Disabled, every record the calls make is counted instead of queued.
        _calls = new VisitorCalls(checkedOptions, clock, counters, logger, checkedOptions.Enabled ? _runtime.Engine.Enqueue : _ => ClientRuntime.DropDisabled(counters));
        _runtime.Engine.Start(session: null);
        ClientRuntime.DisposeAtProcessExit(this, DisposeAsync, checkedOptions, logger);
        Flags = new MixpanelFlags(new FlagsApi(_runtime.Http, checkedOptions, clock), checkedOptions, clock, logger, TrackExposure);
        Diagnostics = new MixpanelDiagnostics(counters, () => _runtime.Engine.Status);
    }

    /// <summary>
    /// Mixpanel's feature flags and experiments for visitors, evaluated as <see cref="MixpanelOptions.FlagsEvaluation"/>
    /// says. Local evaluation fetches the definitions on first use: call <see cref="MixpanelFlags.WhenReadyAsync"/> at
    /// start to have them before the first request.
    /// </summary>
    public MixpanelFlags Flags { get; }

    /// <summary>Counters of accepted, sent, retried, queued and dropped records.</summary>
    public MixpanelDiagnostics Diagnostics { get; }

    /// <summary>Records an event of <paramref name="visitor"/>.</summary>
    /// <param name="visitor">Who the event is about.</param>
    /// <param name="eventName">The event name.</param>
    /// <param name="properties">The event's own properties; they win over the visitor's request properties.</param>
    /// <exception cref="ArgumentException">The name, or a property, is one Mixpanel cannot take.</exception>
    public void Track(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties = null) =>
        _calls.Track(visitor, eventName, properties);

    /// <summary>
    /// Checks an event as <see cref="Track"/> does, so that a call wrong for one visitor is wrong for all, then counts it
    /// as dropped for <paramref name="reason"/> instead of recording it (for instance a crawler's).
    /// </summary>
    internal void Skip(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties, DropReason reason) =>
        _calls.Skip(visitor, eventName, properties, reason);

    /// <summary>
    /// The visitor has signed in (sign-up, login): returns them as <paramref name="userId"/>. Under Original ID Merge
    /// this sends <c>$identify</c>, linking the visitor's anonymous id to the user; under Simplified, their events'
    /// <c>$device_id</c> and <c>$user_id</c> link them. Keep the visitor's device id (the cookie) across the login.
    /// </summary>
    /// <param name="visitor">The visitor before signing in.</param>
    /// <param name="userId">The user's stable id, such as a database key.</param>
    /// <exception cref="ArgumentException">The id is one Mixpanel would refuse.</exception>
    public MixpanelVisitor Identify(MixpanelVisitor visitor, string userId) => _calls.Identify(visitor, userId);

    /// <summary>
    /// The profile of <paramref name="visitor"/>'s user. A visitor who is not signed in has no profile to update: an
    /// update for them is dropped (<see cref="DropReason.NotIdentified"/>) and logged, because a profile on an anonymous id
    /// loses its properties when Mixpanel links the visitor to a user.
    /// </summary>
    /// <param name="visitor">Whose profile.</param>
    public MixpanelPeople People(MixpanelVisitor visitor) => _calls.People(visitor);

    /// <summary>A group's profile, to update it.</summary>
    /// <param name="groupKey">The group key.</param>
    /// <param name="groupId">The group's id: a string or an integer.</param>
    public MixpanelGroup GetGroup(string groupKey, object groupId) => _calls.GetGroup(groupKey, groupId);

    /// <summary>
    /// Imports history through <c>/import</c>, at the wire's speed: batches of up to 2,000 events and 10 MB, gzipped, a few
    /// requests at a time, <c>strict=1</c> so that Mixpanel says which events it refused and why, with the project's
    /// credentials (<see cref="MixpanelOptions.ApiSecret"/> or a service account). Rate limits (429) and transient
    /// failures are retried with backoff. Not queued on disk: the caller holds the history and can run it again
    /// (events keep their <c>$insert_id</c>, so Mixpanel deduplicates what it had).
    /// </summary>
    /// <param name="events">The events, read once, in any order: from a file, a database query, or a list.</param>
    /// <param name="progress">Told after each request.</param>
    /// <param name="cancellationToken">Stops the import; what was acknowledged stays imported.</param>
    /// <returns>What was imported, and what Mixpanel refused with why.</returns>
    /// <exception cref="InvalidOperationException">No credentials are set, or Mixpanel refused them (401, 403).</exception>
    public Task<MixpanelImportResult> ImportAsync(IAsyncEnumerable<MixpanelImportEvent> events, IProgress<MixpanelImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        _calls.CheckImport(events);
        return new BulkImporter(_runtime.Engine.Sender, _runtime.Clock, _runtime.Logger).RunAsync(events, progress, cancellationToken);
    }

    /// <summary>
    /// Completes when every record made before the call has been delivered or dropped (counted), when delivery halted,
    /// or, without a <paramref name="cancellationToken"/>, after <see cref="MixpanelOptions.FlushTimeout"/>.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early; records stay queued.</param>
    public Task FlushAsync(CancellationToken cancellationToken = default) => _runtime.FlushAsync(cancellationToken);

    /// <summary>Completes when every record made before the call is stored (on disk, with <see cref="StorageMode.Disk"/>).</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    public Task PersistAsync(CancellationToken cancellationToken = default) => _runtime.PersistAsync(cancellationToken);

    /// <summary>Delivers what it can within <see cref="MixpanelOptions.ShutdownTimeout"/>, then stops; what is left stays on disk for the next start.</summary>
    public async ValueTask DisposeAsync()
    {
        await Flags.DisposeAsync().ConfigureAwait(false);
        await _runtime.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Disposes synchronously, blocking for at most <see cref="MixpanelOptions.ShutdownTimeout"/> of delivery.</summary>
    public void Dispose() => Task.Run(() => DisposeAsync().AsTask()).GetAwaiter().GetResult();

    // An exposure goes as the visitor's other events do: from the visitor the context was made from, else from its ids.
    private void TrackExposure(MixpanelFlagContext context, string flagKey, IReadOnlyDictionary<string, object?> properties) =>
        Track(context.ToVisitor(), ExposureProperties.EventName, properties);

    void IFlushOnStop.LimitShutdownTo(DateTimeOffset deadline) => _runtime.LimitShutdownTo(deadline);

    /// <inheritdoc />
    Task IFlushOnStop.Started => Task.CompletedTask;
}
