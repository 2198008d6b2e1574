using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>
/// What an app's start-up thread pays for the client: a cold constructor and the first <c>Track</c>, in a process
/// that has never run the client's code (each launch is a new process, one call, nothing warmed up), against
/// constructing a bare <see cref="HttpClient"/> in the same conditions.
/// </summary>
/// <remarks>
/// The storage directory is new and empty (a first run: the device id is made and stored), on disk, with the default
/// options. Nothing is sent while the clock runs: the first send waits for <c>FlushInterval</c>.
/// </remarks>
[SimpleJob(RunStrategy.ColdStart, launchCount: 15, warmupCount: 0, iterationCount: 1, invocationCount: 1)]
public class ColdStart : IDisposable
{
    private string? _directory;
    private MixpanelClient? _client;
    private HttpClient? _http;

    [GlobalSetup]
    public void CreateDirectory() => _directory = Directory.CreateTempSubdirectory("mixpanel-cold-").FullName;

    [Benchmark]
    public void ConstructorAndFirstTrack()
    {
        _client = new MixpanelClient(new MixpanelOptions
        {
            ProjectToken = BenchmarkEvents.Token,
            ApiHost = new Uri("http://127.0.0.1:9/"),
            StorageDirectory = _directory,
            ShutdownTimeout = TimeSpan.Zero,
        });
        _client.Track("App Opened");
    }

    [Benchmark(Baseline = true)]
    public void BareHttpClient() => _http = new HttpClient();

    [GlobalCleanup]
    public void Dispose()
    {
        _client?.Dispose();
        _http?.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}
