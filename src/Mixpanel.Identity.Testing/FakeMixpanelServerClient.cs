using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Flags;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// An <see cref="IMixpanelServerClient"/> for an app's unit tests: it runs the server client's own rules (the same code
/// as <see cref="MixpanelServerClient"/>: the argument checks, each visitor's ids, request properties and address on
/// their events, <c>$identify</c> on login under Original ID Merge and none under Simplified, profile updates of
/// anonymous visitors dropped, the <c>BeforeSend</c> hooks of its options), keeps in memory what the client would send,
/// and sends nothing. For what Mixpanel would receive and make of it, test against <see cref="LocalMixpanelServer"/>.
/// </summary>
public sealed class FakeMixpanelServerClient : IMixpanelServerClient
{
    private readonly VisitorCalls _calls;
    private readonly FakeRecorder _recorder;
    private readonly ScriptedVariants _flagScript = new();
    private readonly object _importGate = new();
    private readonly List<MixpanelImportEvent> _imported = [];

    /// <summary>Creates a fake with the options' defaults (Original ID Merge), as a client given a token and an API secret (so it can import).</summary>
    public FakeMixpanelServerClient()
        : this((TimeProvider?)null)
    {
    }

    /// <summary>As <see cref="FakeMixpanelServerClient()"/>, on the clock <paramref name="timeProvider"/>.</summary>
    /// <param name="timeProvider">The clock events are stamped with; null for the system clock.</param>
    public FakeMixpanelServerClient(TimeProvider? timeProvider)
        : this(new MixpanelOptions { ProjectToken = FakeOptions.ProjectToken, ApiSecret = FakeOptions.ApiSecret }, timeProvider)
    {
    }

    /// <summary>Creates a fake that follows <paramref name="options"/> as the server client does: its ID-merge system, <c>BeforeSend</c> hooks and import credentials.</summary>
    /// <param name="options">The client's options, checked as the client checks them.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public FakeMixpanelServerClient(MixpanelOptions options)
        : this(options, null)
    {
    }

    /// <summary>As <see cref="FakeMixpanelServerClient(MixpanelOptions)"/>, on the clock <paramref name="timeProvider"/>.</summary>
    /// <param name="options">The client's options, checked as the client checks them.</param>
    /// <param name="timeProvider">The clock events are stamped with; null for the system clock.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public FakeMixpanelServerClient(MixpanelOptions options, TimeProvider? timeProvider)
    {
        var checkedOptions = ClientRuntime.CheckedCopy(options);
        var counters = new DeliveryCounters();
        _recorder = new FakeRecorder(counters);
        var clock = timeProvider ?? TimeProvider.System;
        var logger = ClientRuntime.CreateLogger(null);
        _calls = new VisitorCalls(checkedOptions, clock, counters, logger, _recorder.Record);
        Diagnostics = new MixpanelDiagnostics(counters);
        Flags = new MixpanelFlags(
            _flagScript, checkedOptions, clock, logger, (context, _, properties) => _calls.Track(context.ToVisitor(), ExposureProperties.EventName, properties));
    }

    /// <summary>Counters of the records made and dropped (an anonymous visitor's profile update, one filtered by a hook…), as the client counts them.</summary>
    public MixpanelDiagnostics Diagnostics { get; }

    /// <summary>
    /// The client's flags, answering the variants scripted with <see cref="SetFlagVariant"/> as the client answers
    /// Mixpanel's, in the options' <see cref="MixpanelOptions.FlagsEvaluation"/> mode: each variant served recorded as
    /// <c>$experiment_started</c> under the context's visitor (<see cref="Exposures"/>), deduplicated as
    /// <see cref="MixpanelOptions.FlagsDeduplicateExposures"/> says. A flag not scripted is a fallback
    /// (<see cref="MixpanelFlagFallbackReason.FlagNotFound"/>).
    /// </summary>
    public MixpanelFlags Flags { get; }

    /// <summary>The events tracked, in order (<c>$identify</c> and <c>$experiment_started</c>, which the client makes itself, are not among them).</summary>
    public IReadOnlyList<TrackedEvent> Events => _recorder.Events;

    /// <summary>Every event the client would send, in order: those tracked, the <c>$identify</c> of each login under Original ID Merge, and the exposures.</summary>
    public IReadOnlyList<TrackedEvent> AllEvents => _recorder.AllEvents;

    /// <summary>The exposure events (<c>$experiment_started</c>) the flags recorded, in order, each with the visitor's identity.</summary>
    public IReadOnlyList<TrackedEvent> Exposures => _recorder.Exposures;

    /// <summary>The user profile updates, in order, each with the user it went to.</summary>
    public IReadOnlyList<ProfileUpdateRecord> ProfileUpdates => _recorder.ProfileUpdates;

    /// <summary>The group profile updates, in order.</summary>
    public IReadOnlyList<GroupUpdateRecord> GroupUpdates => _recorder.GroupUpdates;

    /// <summary>The events given to <see cref="ImportAsync"/>, in order.</summary>
    public IReadOnlyList<MixpanelImportEvent> ImportedEvents
    {
        get
        {
            lock (_importGate)
            {
                return [.. _imported];
            }
        }
    }

    /// <summary>
    /// Scripts Mixpanel's answer for <paramref name="flagKey"/>: the variant <paramref name="variantKey"/> holding
    /// <paramref name="value"/>, for every visitor or for one distinct id (which wins over everyone's).
    /// </summary>
    /// <param name="flagKey">The flag's key.</param>
    /// <param name="variantKey">The variant's key.</param>
    /// <param name="value">The variant's value: a string, number, boolean, null, list or string-keyed dictionary, or a <see cref="System.Text.Json.JsonElement"/>.</param>
    /// <param name="distinctId">The distinct id the variant is for; null for every visitor.</param>
    /// <exception cref="ArgumentException">The flag key or variant key is empty, or the distinct id is.</exception>
    public void SetFlagVariant(string flagKey, string variantKey, object? value, string? distinctId = null) =>
        _flagScript.Set(flagKey, variantKey, value, distinctId);

    /// <summary>Forgets every variant scripted for <paramref name="flagKey"/>: the flag becomes unknown.</summary>
    /// <param name="flagKey">The flag's key.</param>
    public void RemoveFlag(string flagKey) => _flagScript.Remove(flagKey);

    /// <inheritdoc />
    public void Track(MixpanelVisitor visitor, string eventName, IReadOnlyDictionary<string, object?>? properties = null) =>
        _calls.Track(visitor, eventName, properties);

    /// <inheritdoc />
    public MixpanelVisitor Identify(MixpanelVisitor visitor, string userId) => _calls.Identify(visitor, userId);

    /// <inheritdoc />
    public MixpanelPeople People(MixpanelVisitor visitor) => _calls.People(visitor);

    /// <inheritdoc />
    public MixpanelGroup GetGroup(string groupKey, object groupId) => _calls.GetGroup(groupKey, groupId);

    /// <summary>Keeps the events in <see cref="ImportedEvents"/>, each taken: the fake sends nothing, and Mixpanel refuses none.</summary>
    /// <param name="events">The events, read once.</param>
    /// <param name="progress">Told once, when every event is read.</param>
    /// <param name="cancellationToken">Stops reading the events.</param>
    /// <returns>Every event imported.</returns>
    /// <exception cref="InvalidOperationException">The options give no credentials to import with.</exception>
    public Task<MixpanelImportResult> ImportAsync(IAsyncEnumerable<MixpanelImportEvent> events, IProgress<MixpanelImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        _calls.CheckImport(events);
        return ImportCoreAsync(events, progress, cancellationToken);
    }

    /// <summary>Completes at once: the fake sends nothing.</summary>
    /// <param name="cancellationToken">Not used.</param>
    /// <returns>A completed task.</returns>
    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>Completes at once: the fake stores nothing.</summary>
    /// <param name="cancellationToken">Not used.</param>
    /// <returns>A completed task.</returns>
    public Task PersistAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    private async Task<MixpanelImportResult> ImportCoreAsync(IAsyncEnumerable<MixpanelImportEvent> events, IProgress<MixpanelImportProgress>? progress, CancellationToken cancellationToken)
    {
        long imported = 0;
        await foreach (var item in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Guard.NotNull(item, nameof(events));
            lock (_importGate)
            {
                _imported.Add(item);
            }

            imported++;
        }

        progress?.Report(new MixpanelImportProgress(imported, 0));
        return new MixpanelImportResult(imported, 0, []);
    }
}
