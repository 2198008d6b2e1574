using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity;

/// <summary>Settings for a <see cref="MixpanelClient"/>. Only <see cref="ProjectToken"/> is required.</summary>
public sealed class MixpanelOptions
{
    internal const int MaxBatchSize = MixpanelLimits.MaxRecordsPerRequest;

    /// <summary>
    /// Whether the client tracks at all. False (in development, in tests, for a build with tracking switched off) makes
    /// every call a no-op that still checks its arguments: nothing is stored on disk or sent, no token is needed, the
    /// client reports itself opted out, and what the app records is counted as <see cref="DropReason.Disabled"/>.
    /// </summary>
    /// <value>The default value is true.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>The Mixpanel project token (Project Settings → Access Keys). Required unless <see cref="Enabled"/> is false.</summary>
    public string ProjectToken { get; set; } = string.Empty;

    /// <summary>
    /// The ingestion host. Use <see cref="MixpanelApiHosts.EuropeanUnion"/> or <see cref="MixpanelApiHosts.India"/> for
    /// those data-residency regions, or your own proxy. Must be <c>https</c>; plain <c>http</c> only for loopback hosts.
    /// </summary>
    /// <value>The default value is <c>https://api.mixpanel.com/</c>.</value>
    public Uri ApiHost { get; set; } = MixpanelApiHosts.UnitedStates;

    /// <summary>
    /// The project's ID-merge system. <see cref="IdMergeApi.Original"/> works for projects on either system;
    /// choose <see cref="IdMergeApi.Simplified"/> only for projects known to be on Simplified ID Merge.
    /// </summary>
    /// <value>The default value is <see cref="IdMergeApi.Original"/>.</value>
    public IdMergeApi IdMerge { get; set; } = IdMergeApi.Original;

    /// <summary>
    /// Where the identity and the queue live on disk. Several processes may share one directory (they share the
    /// identity, and each keeps its own queue in it); within one process, one client per directory. A relative path
    /// is taken from the app's folder (<see cref="AppContext.BaseDirectory"/>), never from the current directory. A
    /// directory other users may write to, or that belongs to another user, is refused: the client then keeps
    /// everything in memory and logs why.
    /// </summary>
    /// <value>
    /// The default value is null: the user's local application data folder, then <c>Mixpanel.Identity/</c> and a hash
    /// of the project token. Where the user has no such folder, storage is in memory (logged).
    /// </value>
    public string? StorageDirectory { get; set; }

    /// <summary>Whether the identity and the queue are kept on disk or in memory only.</summary>
    /// <value>The default value is <see cref="StorageMode.Disk"/>.</value>
    public StorageMode Storage { get; set; } = StorageMode.Disk;

    /// <summary>Records per request, and the queue length that triggers a send without waiting for <see cref="FlushInterval"/>.</summary>
    /// <value>The default value is 50 (Mixpanel's own SDKs send at most 50); at most 2000.</value>
    public int BatchSize { get; set; } = 50;

    /// <summary>How often queued records are sent when no batch has filled up.</summary>
    /// <value>The default value is 10 seconds.</value>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most records the queue holds; beyond it the oldest are dropped and counted.</summary>
    /// <value>The default value is 100,000.</value>
    public int MaxQueueSize { get; set; } = 100_000;

    /// <summary>Most bytes the queue holds on disk (or in memory); beyond it the oldest records are dropped and counted.</summary>
    /// <value>The default value is 64 MiB.</value>
    public long MaxQueueBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Most bytes (as JSON) of records that <c>Track</c> leaves in memory for the background writer. Beyond it,
    /// <c>Track</c> waits for a writer that is catching up (at most one second while it stores nothing); while storage
    /// is failing it never waits, and drops and counts the record instead.
    /// </summary>
    /// <value>The default value is 8 MiB.</value>
    public long TrackMemoryBudgetBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>
    /// The longest a record waits in memory before it is written to disk. Records are written in groups (one disk
    /// flush per group); a flush, a full batch or disposal writes at once.
    /// </summary>
    /// <value>The default value is 100 milliseconds.</value>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The longest <see cref="MixpanelClient.FlushAsync"/> waits when it is given no cancellation token; what is not
    /// delivered by then stays queued (<see cref="MixpanelDiagnostics.Queued"/>).
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long disposal may spend delivering what is queued; what is left stays on disk for the next start.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one request to Mixpanel may take before it is abandoned and retried.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether event batches (<c>/track</c>) are gzip-compressed. Profile updates are always sent uncompressed.</summary>
    /// <value>The default value is true.</value>
    public bool UseGzip { get; set; } = true;

    /// <summary>Whether Mixpanel geolocates events and profiles from the request's IP address (<c>ip=1</c>).</summary>
    /// <value>The default value is true, as in Mixpanel's client SDKs.</value>
    public bool UseIpAddressForGeolocation { get; set; } = true;

    /// <summary>
    /// Whether events carry the default properties Mixpanel's client SDKs send (<c>$os_version</c>,
    /// <c>$app_version_string</c>, <c>$app_build_number</c>, <c>$manufacturer</c>, <c>$model</c>, and the screen and
    /// Wi-Fi of <see cref="DeviceInfo"/>). <c>$os</c>, <c>mp_lib</c> and <c>$lib_version</c> are always sent. The events
    /// of <see cref="MixpanelServerClient"/> are its visitors', not this machine's: they carry none of this machine's
    /// <c>$os</c>, <c>$os_version</c>, <c>$manufacturer</c>, <c>$model</c>, <c>$app_version_string</c> and <c>$app_build_number</c>.
    /// </summary>
    /// <value>The default value is true.</value>
    public bool SendDefaultProperties { get; set; } = true;

    /// <summary>
    /// Property names never sent on events, whoever sets them: a default property, a super property or the call's own
    /// (Mixpanel's browser library calls this <c>property_blacklist</c>). The names the client needs
    /// (<c>token</c>, <c>distinct_id</c>, <c>time</c>, <c>$insert_id</c>) cannot be excluded.
    /// </summary>
    /// <value>The default value is empty.</value>
    public ISet<string> ExcludeProperties { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The app's version, sent as <c>$app_version_string</c>; never by <see cref="MixpanelServerClient"/>, whose events are its visitors'.</summary>
    /// <value>The default value is null: the entry assembly's informational version.</value>
    public string? AppVersion { get; set; }

    /// <summary>The app's build, sent as <c>$app_build_number</c>; never by <see cref="MixpanelServerClient"/>.</summary>
    /// <value>The default value is null: the entry assembly's file version.</value>
    public string? AppBuildNumber { get; set; }

    /// <summary>
    /// Whether the client tracks the app events Mixpanel's mobile SDKs track by themselves: <c>$ae_first_open</c> on a new
    /// installation's first start, <c>$ae_updated</c> (with <c>$ae_updated_version</c>) when the app's version goes up,
    /// and <c>$ae_session</c> (with <c>$ae_session_length</c> in seconds) when the app goes to the background after a
    /// session of at least <see cref="MinimumSessionDuration"/>, adding to the profile's <c>$ae_total_app_sessions</c> and
    /// <c>$ae_total_app_session_length</c>. Sessions need the app to call <see cref="MixpanelClient.OnAppForegrounded"/>
    /// and <see cref="MixpanelClient.OnAppBackgrounded"/> from its framework's events.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool TrackAutomaticEvents { get; set; }

    /// <summary>The shortest foreground session tracked as <c>$ae_session</c>.</summary>
    /// <value>The default value is 10 seconds, as in Mixpanel's mobile SDKs.</value>
    public TimeSpan MinimumSessionDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What a UI app knows of its device: the screen and the Wi-Fi. Called on the thread that creates the client (an
    /// app's UI thread at start-up) and again on <see cref="MixpanelClient.RefreshDeviceInfo"/>; its values go with
    /// every event after.
    /// </summary>
    /// <value>The default value is null: no screen or Wi-Fi properties.</value>
    public Func<MixpanelDeviceInfo>? DeviceInfo { get; set; }

    /// <summary>
    /// Supplies the device id for a device that has none yet (first run) and after <see cref="MixpanelClient.Reset"/>:
    /// for an app moving from another SDK, so that its users keep their anonymous ids. An id it gives that Mixpanel
    /// would refuse, or an exception, is logged and a random UUID used instead. On a first run it is called on the thread
    /// that loads the identity as the client starts, not on the thread that creates the client.
    /// </summary>
    /// <value>The default value is null: a random UUID v4.</value>
    public Func<string>? DeviceIdProvider { get; set; }

    /// <summary>
    /// Whether a device starts opted out of tracking, until <see cref="MixpanelClient.OptInTracking()"/>: for apps that
    /// must not track before consent. A choice the user made already (stored) is kept.
    /// </summary>
    /// <value>The default value is false.</value>
    public bool OptOutTrackingByDefault { get; set; }

    /// <summary>
    /// Called with every event before it is queued, on the thread that tracks it (for an event tracked while the client was
    /// starting, on the thread that starts it, once the identity is loaded): return it (changed with
    /// <see cref="MixpanelEvent.With"/>, or not) to send it, or null to drop it (counted as
    /// <see cref="DropReason.Filtered"/>). An exception drops the event (<see cref="DropReason.HookFailed"/>) and is logged.
    /// </summary>
    /// <value>The default value is null.</value>
    public Func<MixpanelEvent, MixpanelEvent?>? BeforeSendEvent { get; set; }

    /// <summary>As <see cref="BeforeSendEvent"/>, for user profile updates (when they are made, held or not).</summary>
    /// <value>The default value is null.</value>
    public Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? BeforeSendProfileUpdate { get; set; }

    /// <summary>As <see cref="BeforeSendEvent"/>, for group profile updates.</summary>
    /// <value>The default value is null.</value>
    public Func<MixpanelProfileUpdate, MixpanelProfileUpdate?>? BeforeSendGroupUpdate { get; set; }

    /// <summary>
    /// The project's API secret (Project Settings → Access Keys), for <c>/import</c>: with it, or a service account,
    /// events older than the 5 days <c>/track</c> takes go to <c>/import</c> instead of being dropped, and
    /// <see cref="MixpanelServerClient.ImportAsync"/>
    /// imports history. Keep it on servers only: it must never ship in an app.
    /// </summary>
    /// <value>The default value is null.</value>
    public string? ApiSecret { get; set; }

    /// <summary>A service account's user name, for <c>/import</c> (with <see cref="ServiceAccountSecret"/> and <see cref="ProjectId"/>).</summary>
    /// <value>The default value is null.</value>
    public string? ServiceAccountUsername { get; set; }

    /// <summary>A service account's secret, for <c>/import</c>.</summary>
    /// <value>The default value is null.</value>
    public string? ServiceAccountSecret { get; set; }

    /// <summary>The project's id, which <c>/import</c> needs with a service account.</summary>
    /// <value>The default value is null.</value>
    public string? ProjectId { get; set; }

    /// <summary>
    /// How <see cref="MixpanelServerClient.Flags"/> evaluates feature flags: in the process from definitions fetched
    /// and polled (no request per evaluation, no cohort targeting), or by asking Mixpanel each time. An app's
    /// <see cref="MixpanelClient"/> always asks Mixpanel, as Mixpanel's client SDKs do.
    /// </summary>
    /// <value>The default value is <see cref="MixpanelFlagsEvaluation.Local"/>.</value>
    public MixpanelFlagsEvaluation FlagsEvaluation { get; set; } = MixpanelFlagsEvaluation.Local;

    /// <summary>How often local evaluation fetches the flag definitions again.</summary>
    /// <value>The default value is 60 seconds, as in Mixpanel's server SDKs.</value>
    public TimeSpan FlagsPollingInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Whether a server reports a visitor's exposure to a flag's variant (<c>$experiment_started</c>) once while it
    /// remembers it (the last 50,000 exposures), rather than on every evaluation.
    /// </summary>
    /// <value>The default value is true.</value>
    public bool FlagsDeduplicateExposures { get; set; } = true;

    /// <summary>How long an app's last feature flag variants, kept on disk for its distinct id, may stand in while Mixpanel cannot be reached.</summary>
    /// <value>The default value is 24 hours, as in Mixpanel's client SDKs.</value>
    public TimeSpan FlagsCacheTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Whether credentials for <c>/import</c> are set.</summary>
    internal bool CanImport => !string.IsNullOrEmpty(ApiSecret) || !string.IsNullOrEmpty(ServiceAccountUsername);

    /// <summary>Every problem with these settings, as messages naming the setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(ProjectToken) && Enabled)
        {
            errors.Add("MixpanelOptions.ProjectToken is required: copy it from your Mixpanel project's settings.");
        }

        if (ApiHost is null || !ApiHost.IsAbsoluteUri)
        {
            errors.Add("MixpanelOptions.ApiHost must be an absolute URI such as https://api.mixpanel.com/.");
        }
        else if (ApiHost.Scheme != Uri.UriSchemeHttps && !(ApiHost.Scheme == Uri.UriSchemeHttp && ApiHost.IsLoopback))
        {
            errors.Add($"MixpanelOptions.ApiHost must use https ('{ApiHost}' does not); plain http is allowed only for loopback hosts.");
        }

        if (BatchSize is < 1 or > MaxBatchSize)
        {
            errors.Add($"MixpanelOptions.BatchSize must be between 1 and {MaxBatchSize} (Mixpanel's limit per request); it is {BatchSize}.");
        }

        if (MaxQueueSize < 1)
        {
            errors.Add($"MixpanelOptions.MaxQueueSize must be at least 1; it is {MaxQueueSize}.");
        }

        if (MaxQueueBytes < 64 * 1024)
        {
            errors.Add($"MixpanelOptions.MaxQueueBytes must be at least 64 KiB; it is {MaxQueueBytes}.");
        }

        if (TrackMemoryBudgetBytes < 64 * 1024)
        {
            errors.Add($"MixpanelOptions.TrackMemoryBudgetBytes must be at least 64 KiB; it is {TrackMemoryBudgetBytes}.");
        }

        // Upper bounds keep every interval within what timers (and Polly's timeout) accept.
        RequireWithin(errors, nameof(FlushInterval), FlushInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1));
        RequireWithin(errors, nameof(RequestTimeout), RequestTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        RequireWithin(errors, nameof(PersistInterval), PersistInterval, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        RequireWithin(errors, nameof(ShutdownTimeout), ShutdownTimeout, TimeSpan.Zero, TimeSpan.FromHours(1));
        RequireWithin(errors, nameof(FlushTimeout), FlushTimeout, TimeSpan.Zero, TimeSpan.FromDays(1));
        RequireWithin(errors, nameof(MinimumSessionDuration), MinimumSessionDuration, TimeSpan.Zero, TimeSpan.FromDays(1));

        RequireWithin(errors, nameof(FlagsPollingInterval), FlagsPollingInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        RequireWithin(errors, nameof(FlagsCacheTimeToLive), FlagsCacheTimeToLive, TimeSpan.Zero, TimeSpan.FromDays(365));
        if (FlagsEvaluation is not (MixpanelFlagsEvaluation.Local or MixpanelFlagsEvaluation.Remote))
        {
            errors.Add($"MixpanelOptions.FlagsEvaluation has an unknown value {(int)FlagsEvaluation}.");
        }

        if (StorageDirectory is not null && string.IsNullOrWhiteSpace(StorageDirectory))
        {
            errors.Add("MixpanelOptions.StorageDirectory must be a path, or null for the default.");
        }

        if (!string.IsNullOrEmpty(ServiceAccountUsername) && (string.IsNullOrEmpty(ServiceAccountSecret) || string.IsNullOrEmpty(ProjectId)))
        {
            errors.Add("MixpanelOptions.ServiceAccountUsername needs ServiceAccountSecret and ProjectId too: /import takes a service account with its project's id.");
        }

        if (IdMerge is not (IdMergeApi.Original or IdMergeApi.Simplified))
        {
            errors.Add($"MixpanelOptions.IdMerge has an unknown value {(int)IdMerge}.");
        }

        if (Storage is not (StorageMode.Disk or StorageMode.Memory))
        {
            errors.Add($"MixpanelOptions.Storage has an unknown value {(int)Storage}.");
        }

        return errors;
    }

    /// <summary>
    /// The storage directory in effect: <see cref="StorageDirectory"/> (a relative one taken from
    /// <see cref="AppContext.BaseDirectory"/>), or the default for <see cref="ProjectToken"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No directory is set and the user has no local application data folder.</exception>
    public string GetStorageDirectory() =>
        ResolveStorageDirectory(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify));

    /// <summary>The rule behind <see cref="GetStorageDirectory"/>, given the user's local application data folder.</summary>
    internal string ResolveStorageDirectory(string? localApplicationData)
    {
        if (StorageDirectory is not null)
        {
            return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, StorageDirectory));
        }

        // Never a shared folder such as the temporary directory: whoever can write there could change who the user is.
        if (string.IsNullOrEmpty(localApplicationData))
        {
            throw new InvalidOperationException(
                "The user has no local application data folder to keep the Mixpanel identity in; set MixpanelOptions.StorageDirectory.");
        }

        // The token itself never appears on disk; a hash keeps projects apart.
        var tokenBytes = Encoding.UTF8.GetBytes(ProjectToken ?? string.Empty);
#if NET8_0_OR_GREATER
        var hash = SHA256.HashData(tokenBytes);
#else
        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(tokenBytes);
#endif
        var name = string.Concat(hash.Take(8).Select(static b => b.ToString("x2", CultureInfo.InvariantCulture)));
        return Path.Combine(localApplicationData, "Mixpanel.Identity", name);
    }

    // The set of excluded names is shared with the app's options: the serializer copies it when the client is made.
    internal MixpanelOptions Clone() => (MixpanelOptions)MemberwiseClone();

    private static void RequireWithin(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"MixpanelOptions.{name} must be between {min} and {max}; it is {value}.");
        }
    }
}
