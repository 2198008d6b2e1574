using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>A local Mixpanel server and clients on one storage directory, all on one observable fake clock.</summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    public const string Token = "delivery-token";

    private readonly TempDirectory _directory = new();
    private readonly List<IAsyncDisposable> _clients = [];

    private DeliveryHarness(LocalMixpanelServer server, ObservableTimeProvider time)
    {
        Server = server;
        Time = time;
    }

    public LocalMixpanelServer Server { get; }

    public ObservableTimeProvider Time { get; }

    public string StorageDirectory => _directory.Path;

    /// <summary>A safety net for waits, so a broken test fails instead of hanging; never an assertion on time.</summary>
    public static CancellationToken Patience => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    public static async Task<DeliveryHarness> StartAsync(Action<LocalMixpanelServerOptions>? configure = null)
    {
        var time = new ObservableTimeProvider();
        var options = new LocalMixpanelServerOptions { ProjectToken = Token, TimeProvider = time };
        configure?.Invoke(options);
        return new DeliveryHarness(await LocalMixpanelServer.StartAsync(options), time);
    }

    public MixpanelOptions Options(Action<MixpanelOptions>? configure = null)
    {
        var options = new MixpanelOptions
        {
            ProjectToken = Token,
            ApiHost = Server.BaseAddress,
            StorageDirectory = StorageDirectory,
            FlushInterval = TimeSpan.FromHours(1),
            ShutdownTimeout = TimeSpan.Zero,

            // Longer than any retry delay a test waits for, so the per-attempt timeout is never mistaken for one.
            RequestTimeout = TimeSpan.FromMinutes(5),
        };
        configure?.Invoke(options);
        return options;
    }

    public MixpanelClient StartClient(Action<MixpanelOptions>? configure = null)
    {
        var client = new MixpanelClient(Options(configure), timeProvider: Time);
        _clients.Add(client);
        return client;
    }

    /// <summary>A server client on the harness's server and clock, with its queue in the storage directory.</summary>
    public MixpanelServerClient StartServerClient(Action<MixpanelOptions>? configure = null)
    {
        var client = new MixpanelServerClient(Options(configure), timeProvider: Time);
        _clients.Add(client);
        return client;
    }

    /// <summary>A wait as long as a retry's backoff, told apart from the flush interval and other timers.</summary>
    public static bool IsBackoff(TimeSpan due) => due >= TimeSpan.FromSeconds(3) && due <= TimeSpan.FromSeconds(65);

    /// <summary>Flushes <paramref name="client"/>, letting each of <paramref name="backoffs"/> retry waits pass in turn.</summary>
    public async Task FlushThroughBackoffsAsync(MixpanelClient client, int backoffs = 1)
    {
        var timers = Time.TimersCreated;
        var flush = client.FlushAsync(Patience);
        for (var i = 0; i < backoffs; i++)
        {
            Time.Advance(await Time.WaitForTimerAsync(timers, IsBackoff));
            timers = Time.TimersCreated;
        }

        await flush;
    }

    public static Dictionary<string, object?> Numbered(int n) => new() { ["n"] = n };

    /// <summary>The <c>n</c> property of every event received, once per event as Mixpanel keeps it.</summary>
    public List<int> DeliveredNumbers() =>
        [.. Server.DeduplicatedRecords.Where(r => r.EventName == "Numbered").Select(r => r.Properties.GetProperty("n").GetInt32())];

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync();
        _directory.Dispose();
    }
}
