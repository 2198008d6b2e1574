using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>
/// A real client on one "device" (a storage directory), delivering to a local Mixpanel server on the same fake clock.
/// Several harnesses may share a clock and a server to act out a user moving between devices. What the client sent is
/// read from the server after a flush, so every test goes through the whole path: session, queue on disk, delivery.
/// </summary>
internal sealed class ClientHarness : IDisposable
{
    public const string Token = "test-token";

    private readonly ILoggerFactory _loggerFactory;
    private readonly bool _ownsServer;
    private readonly Action<MixpanelOptions>? _configure;

    public ClientHarness(
        string storageDirectory,
        IdMergeApi idMerge = IdMergeApi.Original,
        FakeTimeProvider? time = null,
        LocalMixpanelServer? server = null,
        Action<MixpanelOptions>? configure = null)
    {
        _configure = configure;
        StorageDirectory = storageDirectory;
        IdMerge = idMerge;
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        _ownsServer = server is null;
        Server = server ?? LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token, TimeProvider = Time })
            .GetAwaiter().GetResult();
        Logs = new FakeLogCollector();
        _loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(Logs)).SetMinimumLevel(LogLevel.Trace));
        Client = Start();
    }

    public string StorageDirectory { get; }

    public IdMergeApi IdMerge { get; }

    public FakeTimeProvider Time { get; }

    public FakeLogCollector Logs { get; }

    public LocalMixpanelServer Server { get; }

    public MixpanelClient Client { get; private set; }

    /// <summary>What this device's client has sent so far, as the server received it (the client is flushed first).</summary>
    public SentRecords Sent
    {
        get
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Client.FlushAsync(patience.Token).GetAwaiter().GetResult();
            return new SentRecords([.. Server.Records]);
        }
    }

    /// <summary>The options of each start: the harness's, then the test's changes.</summary>
    public MixpanelOptions Options
    {
        get
        {
            var options = new MixpanelOptions
            {
                ProjectToken = Token,
                StorageDirectory = StorageDirectory,
                IdMerge = IdMerge,
                ApiHost = Server.BaseAddress,
            };
            _configure?.Invoke(options);
            return options;
        }
    }

    /// <summary>Disposes the client and starts a new one on the same directory, as an app restart does.</summary>
    public MixpanelClient Restart()
    {
        Client.Dispose();
        Client = Start();
        return Client;
    }

    /// <summary>How many times any process saved the identity in this directory: the shared change counter.</summary>
    public int IdentitySaves() => BitConverter.ToInt32(File.ReadAllBytes(Path.Combine(StorageDirectory, "identity.version")), 0);

    public void Dispose()
    {
        Client.Dispose();
        _loggerFactory.Dispose();
        if (_ownsServer)
        {
            Server.Dispose();
        }
    }

    private MixpanelClient Start() => new(Options, httpClient: null, Time, _loggerFactory);
}

/// <summary>Records as Mixpanel received them, by endpoint.</summary>
internal sealed class SentRecords(IReadOnlyList<ReceivedRecord> records)
{
    public IReadOnlyList<ReceivedRecord> Records { get; } = records;

    public IReadOnlyList<ReceivedRecord> Events => [.. Records.Where(static r => r.Endpoint == MixpanelEndpoint.Track)];

    public IReadOnlyList<ReceivedRecord> ProfileUpdates => [.. Records.Where(static r => r.Endpoint == MixpanelEndpoint.Engage)];

    public IReadOnlyList<ReceivedRecord> GroupUpdates => [.. Records.Where(static r => r.Endpoint == MixpanelEndpoint.Groups)];
}

/// <summary>Reading a received record's event properties.</summary>
internal static class ReceivedRecordProperties
{
    /// <summary>The event's string property <paramref name="name"/>; <see langword="null"/> if it has none, or for a profile update.</summary>
    public static string? Property(this ReceivedRecord record, string name) =>
        record.Properties.ValueKind == JsonValueKind.Object
        && record.Properties.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
