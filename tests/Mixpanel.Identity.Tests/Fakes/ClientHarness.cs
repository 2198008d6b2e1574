using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>
/// A client on one "device" (a storage directory) whose records are captured rather than sent. Several harnesses
/// may share a clock to act out a user moving between devices.
/// </summary>
internal sealed class ClientHarness : IDisposable
{
    public const string Token = "test-token";

    private readonly ILoggerFactory _loggerFactory;

    public ClientHarness(string storageDirectory, IdMergeApi idMerge = IdMergeApi.Original, FakeTimeProvider? time = null)
    {
        StorageDirectory = storageDirectory;
        IdMerge = idMerge;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        Logs = new FakeLogCollector();
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(Logs)).SetMinimumLevel(LogLevel.Trace));
        Client = Start();
    }

    public string StorageDirectory { get; }

    public IdMergeApi IdMerge { get; }

    public FakeTimeProvider Time { get; }

    public FakeLogCollector Logs { get; }

    public MixpanelClient Client { get; private set; }

    public CapturingRecordQueue Queue { get; private set; } = null!;

    public MixpanelOptions Options => new()
    {
        ProjectToken = Token,
        StorageDirectory = StorageDirectory,
        IdMerge = IdMerge,
    };

    /// <summary>Disposes the client and starts a new one on the same directory, as an app restart does.</summary>
    public MixpanelClient Restart()
    {
        Client.Dispose();
        Client = Start();
        return Client;
    }

    public void Dispose()
    {
        Client.Dispose();
        _loggerFactory.Dispose();
    }

    private MixpanelClient Start() =>
        new(Options, httpClient: null, Time, _loggerFactory, setup => Queue = new CapturingRecordQueue(setup));
}
