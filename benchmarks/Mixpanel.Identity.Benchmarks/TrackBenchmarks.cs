using System.Collections.Concurrent;
using BenchmarkDotNet.Attributes;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>
/// What <c>Track</c> costs the app's thread, against copying the same properties into a new dictionary and enqueueing it.
/// </summary>
/// <remarks>
/// The client is real: disk storage in a temporary directory, its background writer serializing and fsyncing while
/// the benchmark runs, delivering to a local server. Each iteration is <see cref="InvocationsPerIteration"/> calls; between
/// iterations (untimed) every event is flushed to the server, so the queue never grows. During an
/// iteration the HTTP handler holds requests at a gate, so that the server's work is not billed to <c>Track</c>:
/// BenchmarkDotNet counts the allocations of every thread, and those include the background writer's.
/// </remarks>
[MemoryDiagnoser]
public class TrackBenchmarks : IDisposable
{
    public const int InvocationsPerIteration = 16_000;

    private readonly Dictionary<string, object?> _properties = BenchmarkEvents.CallProperties();
    private readonly ConcurrentQueue<Dictionary<string, object?>> _queue = new();
    private readonly GatedHandler _gate = new();
    private LocalMixpanelServer? _server;
    private HttpClient? _http;
    private MixpanelClient? _client;
    private string? _directory;

    [GlobalSetup(Target = nameof(Track))]
    public void StartClient()
    {
        _server = LocalMixpanelServer.StartAsync(EndToEnd.ServerOptions()).GetAwaiter().GetResult();
        _directory = Directory.CreateTempSubdirectory("mixpanel-bench-").FullName;
        _http = new HttpClient(_gate) { Timeout = Timeout.InfiniteTimeSpan };
        _client = new MixpanelClient(
            new MixpanelOptions { ProjectToken = BenchmarkEvents.Token, ApiHost = _server.BaseAddress, StorageDirectory = _directory },
            _http);
        _client.Register(BenchmarkEvents.SuperProperties());

        // The client's own warm-up, before BenchmarkDotNet's: the JIT tiers a hot method up only once no new code has
        // been compiled for a while, and the first deliveries compile plenty (the client's, HTTP's, the server's).
        for (var i = 0; i < 10; i++)
        {
            for (var j = 0; j < InvocationsPerIteration; j++)
            {
                Track();
            }

            Deliver();
        }

        Thread.Sleep(TimeSpan.FromSeconds(1));
    }

    [Benchmark(Baseline = true)]
    public void Reference()
    {
        var copy = new Dictionary<string, object?>(_properties.Count, StringComparer.Ordinal);
        foreach (var property in _properties)
        {
            copy[property.Key] = property.Value;
        }

        _queue.Enqueue(copy);
    }

    [Benchmark]
    public void Track() => _client!.Track(BenchmarkEvents.EventName, _properties);

    [IterationSetup(Target = nameof(Track))]
    public void HoldDelivery() => _gate.Close();

    [IterationCleanup(Target = nameof(Track))]
    public void Deliver()
    {
        _gate.Open();
        _client!.FlushAsync().GetAwaiter().GetResult();
    }

    [IterationCleanup(Target = nameof(Reference))]
    public void EmptyQueue() => _queue.Clear();

    [GlobalCleanup(Target = nameof(Track))]
    public void StopClient()
    {
        _gate.Open();
        var diagnostics = _client!.Diagnostics;
        var accepted = diagnostics.Accepted;
        var sent = diagnostics.Sent;
        var dropped = diagnostics.Dropped;
        Dispose();
        var received = _server!.AcceptedRecordCount;
        _server.Dispose();
        Directory.Delete(_directory!, recursive: true);
        Console.WriteLine($"// Track: {accepted} accepted, {sent} sent, {received} received by the server, {dropped} dropped");
        if (dropped != 0 || sent != accepted || received != accepted)
        {
            throw new InvalidOperationException($"Track lost events: {accepted} accepted, {sent} sent, {received} received, {dropped} dropped.");
        }
    }

    public void Dispose()
    {
        _client?.Dispose();
        _http?.Dispose();
        _gate.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Holds requests while closed, so the local server works only between measured iterations.</summary>
    private sealed class GatedHandler : DelegatingHandler
    {
        private volatile TaskCompletionSource _open = NewGate();

        public GatedHandler()
            : base(new SocketsHttpHandler())
        {
            _open.SetResult();
        }

        public void Close()
        {
            if (_open.Task.IsCompleted)
            {
                _open = NewGate();
            }
        }

        public void Open() => _open.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
