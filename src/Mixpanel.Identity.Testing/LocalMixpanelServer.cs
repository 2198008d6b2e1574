using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.Flags;
using Mixpanel.Identity.Testing.Flags;
using Mixpanel.Identity.Testing.Ingestion;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// A real Mixpanel ingestion server on 127.0.0.1 for tests: it serves <c>/track</c>, <c>/engage</c>, <c>/groups</c> and
/// <c>/import</c> over HTTP, validates every record the way Mixpanel does (limits, invalid ids, times, tokens), records what
/// it accepted and refused, and misbehaves on demand through <see cref="Faults"/>. Start one per test with
/// <see cref="StartAsync"/>, point the client's API host at <see cref="BaseAddress"/>, and dispose it at the end.
/// </summary>
/// <example>
/// <code>
/// await using var server = await LocalMixpanelServer.StartAsync();
/// server.Faults.Enqueue(ServerFault.Status(503, TimeSpan.FromSeconds(2)));
/// // ... point the client at server.BaseAddress, track, flush ...
/// await server.WaitForAsync(s => s.AcceptedRecordCount == 3, cancellationToken);
/// </code>
/// </example>
public sealed class LocalMixpanelServer : IAsyncDisposable, IDisposable
{
    private readonly Recorder _recorder = new();
    private readonly ConditionWaiters<LocalMixpanelServer> _waiters;
    private readonly IngestionHandler _handler;
    private readonly FlagsEndpoint _flags;

    // Start, stop, restart and dispose take turns; requests never take this.
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private KestrelListener? _listener;
    private PortReservation? _reservation;
    private int _port;
    private bool _disposed;

    private LocalMixpanelServer(LocalMixpanelServerOptions options)
    {
        Options = options;
        Faults = new FaultScript();
        _waiters = new ConditionWaiters<LocalMixpanelServer>(this);
        _handler = new IngestionHandler(options, Faults, _recorder, _waiters.Notify);
        _flags = new FlagsEndpoint(options);
    }

    /// <summary>How many requests the flag endpoints (<c>/flags</c>, <c>/flags/definitions</c>) have answered.</summary>
    public int FlagRequestCount => _flags.RequestCount;

    /// <summary>
    /// The exposure events (<c>$experiment_started</c>) received, in arrival order: what an experiment's results are
    /// computed from.
    /// </summary>
    public IReadOnlyList<ReceivedRecord> Exposures =>
        [.. Records.Where(r => r.Json.TryGetProperty("event", out var name) && name.ValueEquals(ExposureProperties.EventName))];

    /// <summary>
    /// The feature flags this server serves: <c>/flags/definitions</c> answers them as given, and <c>/flags</c>
    /// evaluates them for each request's context with the client's own local evaluation. Cohort-gated rollouts are
    /// skipped (no cohorts here). Until set, there are no flags.
    /// </summary>
    /// <param name="definitionsJson">A definitions document, <c>{"flags": [flag, …]}</c>, as Mixpanel's <c>/flags/definitions</c> answers.</param>
    /// <exception cref="ArgumentException">The text is not a definitions document.</exception>
    public void SetFlagDefinitions(string definitionsJson)
    {
        ArgumentNullException.ThrowIfNull(definitionsJson);
        _flags.SetDefinitions(definitionsJson);
    }

    /// <summary>
    /// The server's address, <c>http://127.0.0.1:{port}/</c> (<c>https://</c> with <see cref="LocalMixpanelServerOptions.UseHttps"/>):
    /// the API host to give the client under test.
    /// </summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>
    /// The self-signed certificate the server presents when started with <see cref="LocalMixpanelServerOptions.UseHttps"/>
    /// (for 127.0.0.1, ::1 and localhost, valid for 30 days); <see langword="null"/> otherwise. Trust it in the client under
    /// test: compare it in a <c>ServerCertificateCustomValidationCallback</c>, or give node its PEM
    /// (<c>ExportCertificatePem()</c>) in <c>NODE_EXTRA_CA_CERTS</c>.
    /// </summary>
    public X509Certificate2? Certificate { get; private set; }

    /// <summary>The options the server was started with; it reads them on every request, so a test may change them.</summary>
    public LocalMixpanelServerOptions Options { get; }

    /// <summary>The faults to apply to incoming requests.</summary>
    public FaultScript Faults { get; }

    /// <summary>Whether the server is accepting connections (between <see cref="StopAsync"/> and <see cref="RestartAsync"/> it is not).</summary>
    public bool IsListening => Volatile.Read(ref _listener) is not null;

    /// <summary>Whether the server holds its port while stopped (see <see cref="StopAsync"/>).</summary>
    internal bool IsHoldingPort => _reservation is not null;

    /// <summary>
    /// Every request the server has finished with, in arrival order, whatever its outcome; a request appears once it has been
    /// answered, dropped or abandoned. A snapshot: later requests do not change a list already obtained. Empty when
    /// <see cref="LocalMixpanelServerOptions.RetainRecords"/> is off.
    /// </summary>
    public IReadOnlyList<ReceivedRequest> Requests => _recorder.Requests;

    /// <summary>
    /// Every record the server accepted, in the order it ingested them, duplicates included. A snapshot. Empty when
    /// <see cref="LocalMixpanelServerOptions.RetainRecords"/> is off.
    /// </summary>
    public IReadOnlyList<ReceivedRecord> Records => _recorder.Records;

    /// <summary>
    /// What Mixpanel keeps of <see cref="Records"/>: events deduplicated on (event, distinct_id, time, <c>$insert_id</c>) keeping
    /// the first, events without <c>$insert_id</c> all kept, profile and group updates all kept (Mixpanel applies every one).
    /// An event without <c>time</c> is stamped with the time it arrived, as Mixpanel does. A snapshot.
    /// </summary>
    public IReadOnlyList<ReceivedRecord> DeduplicatedRecords => _recorder.DeduplicatedRecords;

    /// <summary>Every record refused by validation, with the field and the reason. A snapshot.</summary>
    public IReadOnlyList<RejectedRecord> RejectedRecords => _recorder.RejectedRecords;

    /// <summary>How many requests the server has finished with; counted even when records are not retained.</summary>
    public int ReceivedRequestCount => _recorder.ReceivedRequestCount;

    /// <summary>How many records the server accepted (duplicates included); counted even when records are not retained.</summary>
    public long AcceptedRecordCount => _recorder.AcceptedRecordCount;

    /// <summary>How many records validation refused; counted even when records are not retained.</summary>
    public long RejectedRecordCount => _recorder.RejectedRecordCount;

    /// <summary>How many requests have arrived and are not yet finished with.</summary>
    public int InFlightRequestCount => _recorder.InFlightRequestCount;

    /// <summary>
    /// How many requests a <see cref="ServerFault.Delay(TimeSpan)"/> or <see cref="ServerFault.NeverRespond"/> fault is holding
    /// right now. Once a delayed request counts here its timer exists, so a test may advance a fake clock past it.
    /// </summary>
    public int HeldRequestCount => _recorder.HeldRequestCount;

    /// <summary>Starts a server listening on 127.0.0.1 (on a free port unless <see cref="LocalMixpanelServerOptions.Port"/> says otherwise).</summary>
    /// <param name="options">How the server validates; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels starting.</param>
    /// <returns>The listening server.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="IOException">The port is in use.</exception>
    public static async Task<LocalMixpanelServer> StartAsync(
        LocalMixpanelServerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new LocalMixpanelServerOptions();
        if (options.TimeProvider is null)
        {
            throw new ArgumentException("TimeProvider cannot be null.", nameof(options));
        }

        if (options.Port is < 0 or > 65535)
        {
            throw new ArgumentException("Port must be between 0 and 65535.", nameof(options));
        }

        var server = new LocalMixpanelServer(options);
        await server.ListenAsync(options.Port, cancellationToken).ConfigureAwait(false);
        return server;
    }

    /// <summary>
    /// Completes when <paramref name="condition"/> holds. It is checked now and again whenever the server's state changes
    /// (a request arrives, is held, is recorded; the server clears, stops or restarts), never by polling. The condition runs
    /// on the server's request threads, one at a time, so keep it cheap (counts rather than scans of every record) and have
    /// it only read the server.
    /// </summary>
    /// <param name="condition">What to wait for, such as <c>s =&gt; s.AcceptedRecordCount &gt;= 10</c>.</param>
    /// <param name="cancellationToken">Gives up waiting; use one with a timeout so a failing test ends.</param>
    /// <returns>A task that completes when the condition holds, faults if the condition throws or the server is disposed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="condition"/> is <see langword="null"/>.</exception>
    public Task WaitForAsync(Func<LocalMixpanelServer, bool> condition, CancellationToken cancellationToken = default) =>
        _waiters.WaitAsync(condition, cancellationToken);

    /// <summary>
    /// Stops listening: new connections are refused, requests held by faults are cut off, requests in progress are given a
    /// few seconds to finish. Everything recorded is kept. Does nothing if the server is not listening. The port stays
    /// reserved for <see cref="RestartAsync"/>: bound but not listening, so no other server on this machine is given it while
    /// clients keep retrying against it.
    /// </summary>
    /// <returns>A task that completes when the port is closed.</returns>
    public async Task StopAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (await StopListeningAsync().ConfigureAwait(false))
            {
                _reservation = PortReservation.TryTake(_port);
            }
        }
        finally
        {
            _lifecycle.Release();
        }

        _waiters.Notify();
    }

    /// <summary>
    /// Listens again on the same port, stopping first if the server is listening. Everything recorded is kept; the faults stay
    /// scripted.
    /// </summary>
    /// <returns>A task that completes when the server is listening.</returns>
    /// <exception cref="ObjectDisposedException">The server is disposed.</exception>
    /// <exception cref="IOException">Something else took the port meanwhile.</exception>
    public async Task RestartAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await StopListeningAsync().ConfigureAwait(false);
            ReleaseReservation();
            _listener = await KestrelListener.StartAsync(_port, Certificate, HandleAsync, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }

        _waiters.Notify();
    }

    /// <summary>
    /// What Mixpanel will make of everything received so far, under <paramref name="api"/>: the identity clusters, the
    /// resolved distinct id of every event, the merged profiles, the findings, and the timeline as Markdown or HTML.
    /// Resolves the deduplicated records, as Mixpanel keeps them.
    /// </summary>
    /// <param name="api">The project's ID-merge system.</param>
    /// <exception cref="InvalidOperationException">The server was started with <see cref="LocalMixpanelServerOptions.RetainRecords"/> off.</exception>
    public IdentityResolution Resolve(IdMergeApi api) =>
        Options.RetainRecords
            ? IdentityResolver.Resolve(DeduplicatedRecords, api)
            : throw new InvalidOperationException("Resolving needs the records: start the server with RetainRecords on.");

    /// <summary>
    /// Forgets every recorded request and record and resets the counters, so a test can look at what comes next alone.
    /// Request indexes and record sequences keep counting from where they were. The fault script is left as it is.
    /// </summary>
    public void Clear()
    {
        _recorder.Clear();
        _waiters.Notify();
    }

    /// <summary>Stops the server and fails pending <see cref="WaitForAsync"/> calls. Recorded data stays readable.</summary>
    /// <returns>A task that completes when the server is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await StopListeningAsync().ConfigureAwait(false);
            ReleaseReservation();
        }
        finally
        {
            _lifecycle.Release();
        }

        _waiters.Close(new ObjectDisposedException(nameof(LocalMixpanelServer), "The local Mixpanel server was disposed while a test was waiting on it."));
    }

    /// <summary>Stops the server; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"LocalMixpanelServer {BaseAddress} ({(IsListening ? "listening" : "stopped")}, {ReceivedRequestCount} requests, {AcceptedRecordCount} records)");

    private Task HandleAsync(HttpContext context, CancellationToken stopping) =>
        FlagsEndpoint.Handles(context.Request.Path) ? _flags.HandleAsync(context) : _handler.HandleAsync(context, stopping);

    private async Task ListenAsync(int port, CancellationToken cancellationToken)
    {
        Certificate = Options.UseHttps ? LoopbackCertificate.Create() : null;
        var listener = await KestrelListener.StartAsync(port, Certificate, HandleAsync, cancellationToken).ConfigureAwait(false);
        _listener = listener;
        _port = listener.Port;
        var scheme = Certificate is null ? "http" : "https";
        BaseAddress = new Uri(string.Create(CultureInfo.InvariantCulture, $"{scheme}://127.0.0.1:{_port}/"));
    }

    // Returns whether the server was listening.
    private async Task<bool> StopListeningAsync()
    {
        var listener = _listener;
        if (listener is null)
        {
            return false;
        }

        Volatile.Write(ref _listener, null);
        await listener.DisposeAsync().ConfigureAwait(false);
        return true;
    }

    private void ReleaseReservation()
    {
        _reservation?.Dispose();
        _reservation = null;
    }
}
