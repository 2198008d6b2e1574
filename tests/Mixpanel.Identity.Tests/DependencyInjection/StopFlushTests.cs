using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.DependencyInjection;

/// <summary>
/// The flush on application stop when Mixpanel cannot be reached: delivery is retried on a fake clock, so the only
/// thing that ends the flush is its deadline, moved by hand.
/// </summary>
public sealed class StopFlushTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly FakeLogCollector _logs = new();
    private LocalMixpanelServer? _stoppedServer;
    private ServiceProvider? _provider;

    /// <summary>
    /// Mixpanel as a stopped server: its port stays bound but not listening, so every request is refused at once and
    /// retried, and no other server is given the port meanwhile.
    /// </summary>
    public async Task InitializeAsync()
    {
        _stoppedServer = await LocalMixpanelServer.StartAsync();
        await _stoppedServer.StopAsync();
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            // Disposing the client spends up to ShutdownTimeout of the fake clock on delivery; its deadline is set
            // before DisposeAsync first yields, so moving the clock past it lets disposal finish.
            var disposal = _provider.DisposeAsync();
            _time.Advance(ShutdownTimeout);
            await disposal;
        }

        if (_stoppedServer is not null)
        {
            await _stoppedServer.DisposeAsync();
        }
    }

    public void Dispose() => _directory.Dispose();

    [Fact(Timeout = 30_000)]
    public async Task StopAsync_MixpanelUnreachable_ReturnsAtShutdownTimeoutAndLogs()
    {
        var (client, stopFlush) = CreateSut();
        client.Track("Signed Up");

        var stopping = stopFlush.StopAsync(CancellationToken.None);
        _time.Advance(ShutdownTimeout - TimeSpan.FromTicks(1));
        stopping.IsCompleted.Should().BeFalse("the deadline has not passed and nothing was delivered");
        _time.Advance(TimeSpan.FromTicks(1));
        await stopping;

        client.Diagnostics.Sent.Should().Be(0);
        client.Diagnostics.Queued.Should().Be(1, "the event stays queued for disposal or the next start");
        _logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 4001)
            .Which.Level.Should().Be(LogLevel.Warning);
    }

    [Fact(Timeout = 30_000)]
    public async Task StoppedAsync_AfterStopAsyncUsedTheWholeTimeout_ReturnsAtOnce()
    {
        var (client, stopFlush) = CreateSut();
        client.Track("Signed Up");
        var stopping = stopFlush.StopAsync(CancellationToken.None);
        _time.Advance(ShutdownTimeout);
        await stopping;

        var stopped = stopFlush.StoppedAsync(CancellationToken.None);

        stopped.IsCompleted.Should().BeTrue("StopAsync and StoppedAsync share one ShutdownTimeout");
        await stopped;
        _logs.GetSnapshot().Count(r => r.Id.Id == 4001).Should().Be(1);
    }

    [Fact(Timeout = 30_000)]
    public async Task StoppedAsync_AfterPartOfTheTimeout_WaitsOnlyForTheRest()
    {
        var (client, stopFlush) = CreateSut();
        var stopping = stopFlush.StopAsync(CancellationToken.None);
        await stopping;
        _time.Advance(ShutdownTimeout / 2);
        client.Track("Worker Stopped");

        var stopped = stopFlush.StoppedAsync(CancellationToken.None);
        _time.Advance((ShutdownTimeout / 2) - TimeSpan.FromTicks(1));
        stopped.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromTicks(1));
        await stopped;

        _logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 4001);
    }

    [Fact(Timeout = 30_000)]
    public async Task Disposal_AfterTheStopFlushUsedTheWholeTimeout_DoesNotWaitAgain()
    {
        var (client, stopFlush) = CreateSut();
        client.Track("Signed Up");
        var stopping = stopFlush.StopAsync(CancellationToken.None);
        _time.Advance(ShutdownTimeout);
        await stopping;

        var disposal = client.DisposeAsync().AsTask();

        await disposal.WaitAsync(TimeSpan.FromSeconds(20));
        client.Diagnostics.Queued.Should().Be(1, "what was not delivered stays on disk for the next start");
    }

    [Fact(Timeout = 30_000)]
    public async Task StopAsync_HostStopsWaiting_ReturnsWithoutThrowingAndLogs()
    {
        var (client, stopFlush) = CreateSut();
        client.Track("Signed Up");
        using var hostGaveUp = new CancellationTokenSource();

        var stopping = stopFlush.StopAsync(hostGaveUp.Token);
        await hostGaveUp.CancelAsync();
        await stopping;

        client.Diagnostics.Queued.Should().Be(1);
        _logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 4002);
    }

    [Fact(Timeout = 30_000)]
    public async Task StopAsync_NothingQueued_ReturnsWithoutLogging()
    {
        var (_, stopFlush) = CreateSut();

        await stopFlush.StopAsync(CancellationToken.None);
        await stopFlush.StoppedAsync(CancellationToken.None);

        _logs.GetSnapshot().Where(r => r.Id.Id >= 4000).Should().BeEmpty();
    }

    [Fact(Timeout = 30_000)]
    public async Task StopAsync_QueueInMemory_WarnsThatWhatIsLeftIsDroppedNotKeptForTheNextStart()
    {
        var (client, stopFlush) = CreateSut(StorageMode.Memory);
        client.Track("Signed Up");

        var stopping = stopFlush.StopAsync(CancellationToken.None);
        _time.Advance(ShutdownTimeout);
        await stopping;

        var warning = _logs.GetSnapshot().Should().ContainSingle(r => r.Id.Id >= 4000).Which;
        warning.Id.Id.Should().Be(4020);
        warning.Message.Should().Contain("in memory").And.Contain("dropped").And.NotContain("next start");
    }

    private (MixpanelClient Client, IHostedLifecycleService StopFlush) CreateSut(StorageMode storage = StorageMode.Disk)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging(builder => builder.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Trace));
        services.AddMixpanel(options =>
        {
            options.ProjectToken = ClientHarness.Token;
            options.StorageDirectory = _directory.Path;
            options.ApiHost = _stoppedServer!.BaseAddress;
            options.ShutdownTimeout = ShutdownTimeout;
            options.Storage = storage;
        });
        _provider = services.BuildServiceProvider();
        var stopFlush = _provider.GetServices<IHostedService>().Should().ContainSingle().Which.Should().BeAssignableTo<IHostedLifecycleService>().Which;
        return (_provider.GetRequiredService<MixpanelClient>(), stopFlush);
    }
}
