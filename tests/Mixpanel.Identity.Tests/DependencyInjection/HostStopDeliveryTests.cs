using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.DependencyInjection;

/// <summary>The flush on application stop, observed where Mixpanel would observe it: at a real HTTP server.</summary>
public sealed class HostStopDeliveryTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task StopAsync_EventQueued_IsDeliveredBeforeTheHostIsDisposed()
    {
        await using var server = await LocalMixpanelServer.StartAsync();
        using var host = CreateSut(server);
        await host.StartAsync();

        host.Services.GetRequiredService<IMixpanelClient>().Track("Signed Up");
        server.Records.Should().BeEmpty("the batch is not full and FlushInterval is an hour");
        await host.StopAsync();

        server.Records.Should().ContainSingle().Which.EventName.Should().Be("Signed Up");
    }

    [Fact]
    public async Task StopAsync_ServiceTracksWhileStoppingAfterTheFlush_IsDeliveredBeforeTheHostIsDisposed()
    {
        await using var server = await LocalMixpanelServer.StartAsync();

        // Registered before AddMixpanel, so it stops after the flush's StopAsync: the flush once every service has
        // stopped delivers what it tracks.
        using var host = CreateSut(server, services => services.AddHostedService<TracksWhenStopping>());
        await host.StartAsync();
        await host.StopAsync();

        server.Records.Should().ContainSingle().Which.EventName.Should().Be("Worker Stopped");
    }

    private IHost CreateSut(LocalMixpanelServer server, Action<IServiceCollection>? before = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        before?.Invoke(builder.Services);
        builder.Services.AddMixpanel(options =>
        {
            options.ProjectToken = ClientHarness.Token;
            options.ApiHost = server.BaseAddress;
            options.StorageDirectory = _directory.Path;
            options.FlushInterval = TimeSpan.FromHours(1);
            options.ShutdownTimeout = TimeSpan.FromSeconds(3);
        });
        return builder.Build();
    }

    private sealed class TracksWhenStopping(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<IMixpanelClient>().Track("Worker Stopped");
            return Task.CompletedTask;
        }
    }
}
