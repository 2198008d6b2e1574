using System.Diagnostics.Metrics;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.DependencyInjection;

/// <summary>What an app built on the generic host gets: options from the "Mixpanel" section, a switch to turn tracking off, a health check, quiet logs, a readable status and a named meter.</summary>
public sealed class HostingTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void BuilderAddMixpanel_ReadsTheMixpanelSectionThenTheCallsChanges()
    {
        var builder = CreateBuilder(new() { ["Mixpanel:ProjectToken"] = "from-config", ["Mixpanel:IdMerge"] = "Simplified", ["Mixpanel:BatchSize"] = "20" });

        builder.AddMixpanel(options => options.BatchSize = 7);
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MixpanelOptions>>().Value;
        (options.ProjectToken, options.IdMerge, options.BatchSize, options.StorageDirectory).Should().Be(("from-config", IdMergeApi.Simplified, 7, _directory.Path));
        host.Services.GetRequiredService<IMixpanelClient>().Should().BeSameAs(host.Services.GetRequiredService<MixpanelClient>());
    }

    [Fact]
    public async Task Disabled_WithoutAToken_StartsAndEveryCallIsANoOpThatStillChecksItsArguments()
    {
        await using var server = await LocalMixpanelServer.StartAsync();
        var storage = Path.Combine(_directory.Path, "never-made");
        var builder = CreateBuilder(new() { ["Mixpanel:Enabled"] = "false", ["Mixpanel:StorageDirectory"] = storage });
        builder.AddMixpanel(options => options.ApiHost = server.BaseAddress);
        using var host = builder.Build();
        await host.StartAsync();
        var mixpanel = host.Services.GetRequiredService<MixpanelClient>();

        mixpanel.Track("Viewed Pricing");
        mixpanel.Identify("user-1");
        mixpanel.People.Set("plan", "premium");
        mixpanel.GetGroup("company", "acme").Set(new Dictionary<string, object?> { ["size"] = 3 });
        mixpanel.OptInTracking();
        mixpanel.Track("Purchased");
        await mixpanel.FlushAsync();
        await host.StopAsync();

        mixpanel.Invoking(m => m.Track(" ")).Should().Throw<ArgumentException>();
        mixpanel.IsOptedOut.Should().BeTrue("a disabled client reports itself opted out, whatever the app calls");
        mixpanel.Diagnostics.GetDropped(DropReason.Disabled).Should().Be(4, "two events, a profile and a group update");
        mixpanel.Diagnostics.Accepted.Should().Be(0);
        server.Requests.Should().BeEmpty();
        Directory.Exists(storage).Should().BeFalse("a disabled client touches no disk");
    }

    [Fact]
    public async Task HealthCheck_DeliveringClient_IsHealthyAndDescribesTheClient()
    {
        await using var server = await LocalMixpanelServer.StartAsync();
        using var host = BuildWithHealthCheck(server.BaseAddress);
        var mixpanel = host.Services.GetRequiredService<MixpanelClient>();
        mixpanel.Track("Signed Up");
        await mixpanel.FlushAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["mixpanel"];
        entry.Status.Should().Be(HealthStatus.Healthy);
        entry.Description.Should().Be(mixpanel.Diagnostics.ToString()).And.Contain("1 sent");
        entry.Data["queued"].Should().Be(0L);
    }

    [Fact]
    public async Task HealthCheck_MixpanelRefusedTheToken_IsUnhealthyNamingTheStatus()
    {
        await using var server = await LocalMixpanelServer.StartAsync();
        server.Faults.Enqueue(ServerFault.Status(401));
        using var host = BuildWithHealthCheck(server.BaseAddress);
        var mixpanel = host.Services.GetRequiredService<MixpanelClient>();
        mixpanel.Track("Signed Up");
        await mixpanel.FlushAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        mixpanel.Diagnostics.IsDeliveryHalted.Should().BeTrue();
        var entry = report.Entries["mixpanel"];
        entry.Status.Should().Be(HealthStatus.Unhealthy);
        entry.Description.Should().Contain("HTTP 401").And.Contain("1 records wait");
        entry.Data["halted_status"].Should().Be(401);
    }

    [Fact]
    public async Task HealthCheck_RecordsWaitingLongerThanTheThresholdWithNothingDelivered_IsUnhealthy()
    {
        await using var stopped = await LocalMixpanelServer.StartAsync();
        await stopped.StopAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        using var host = BuildWithHealthCheck(stopped.BaseAddress, time, TimeSpan.FromMinutes(10));
        var mixpanel = host.Services.GetRequiredService<MixpanelClient>();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        mixpanel.Track("Signed Up");
        await mixpanel.PersistAsync();

        var first = await health.CheckHealthAsync();
        time.Advance(TimeSpan.FromMinutes(10));
        var atTheThreshold = await health.CheckHealthAsync();
        time.Advance(TimeSpan.FromSeconds(1));
        var past = await health.CheckHealthAsync();

        first.Status.Should().Be(HealthStatus.Healthy, "the first check that sees records waiting starts the clock");
        atTheThreshold.Status.Should().Be(HealthStatus.Healthy);
        past.Status.Should().Be(HealthStatus.Unhealthy);
        past.Entries["mixpanel"].Description.Should().Contain("1 records are queued and none has been delivered");
        mixpanel.Diagnostics.Sent.Should().Be(0);
    }

    [Fact]
    public async Task NamedHttpClient_Flush_LogsNothingOfItsOwn()
    {
        await using var server = await LocalMixpanelServer.StartAsync();
        var builder = CreateBuilder(new() { ["Mixpanel:ProjectToken"] = ClientHarness.Token });
        builder.AddMixpanel(options => options.ApiHost = server.BaseAddress);
        using var host = builder.Build();
        var mixpanel = host.Services.GetRequiredService<MixpanelClient>();

        mixpanel.Track("Signed Up");
        await mixpanel.FlushAsync();

        mixpanel.Diagnostics.Sent.Should().Be(1);
        _logs.GetSnapshot().Should().NotContain(r => r.Category != null && r.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MeterName_IsTheMeterTheCountersArePublishedOn()
    {
        await using var server = await LocalMixpanelServer.StartAsync();
        var accepted = 0L;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == MixpanelDiagnostics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == "mixpanel.records.accepted")
            {
                Interlocked.Add(ref accepted, value);
            }
        });
        listener.Start();
        using var host = BuildWithHealthCheck(server.BaseAddress);

        var mixpanel = host.Services.GetRequiredService<MixpanelClient>();
        mixpanel.Track("Signed Up");
        await mixpanel.PersistAsync();

        Interlocked.Read(ref accepted).Should().BeGreaterThanOrEqualTo(1);
    }

    [Fact]
    public void DiagnosticsToString_IsOneLineWithTheCountsTheDropsAndTheState()
    {
        var counters = new Mixpanel.Identity.Diagnostics.DeliveryCounters();
        counters.OnAccepted(5);
        counters.OnSent(2);
        counters.OnDropped(DropReason.Rejected, 1, wasQueued: true);
        counters.OnDropped(DropReason.Filtered, 2, wasQueued: false);

        var delivering = new MixpanelDiagnostics(counters, static () => new Mixpanel.Identity.Delivery.DeliveryStatus(true, null)).ToString();
        var halted = new MixpanelDiagnostics(counters, static () => new Mixpanel.Identity.Delivery.DeliveryStatus(false, 403)).ToString();

        delivering.Should().Be("Mixpanel: 5 accepted, 2 sent, 2 queued, 3 dropped (Rejected 1, Filtered 2), 0 retried; on disk; delivering");
        halted.Should().EndWith("; in memory; halted: Mixpanel answered HTTP 403").And.NotContain(Environment.NewLine);
        new MixpanelDiagnostics().ToString().Should().Be("Mixpanel: 0 accepted, 0 sent, 0 queued, 0 dropped, 0 retried; in memory; delivering");
    }

    private IHost BuildWithHealthCheck(Uri apiHost, TimeProvider? time = null, TimeSpan? maxDeliveryWait = null)
    {
        var builder = CreateBuilder(new() { ["Mixpanel:ProjectToken"] = ClientHarness.Token });
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        builder.AddMixpanel(options =>
        {
            options.ApiHost = apiHost;
            options.ShutdownTimeout = TimeSpan.Zero;
        });
        builder.Services.AddHealthChecks().AddMixpanel(maxDeliveryWait: maxDeliveryWait);
        return builder.Build();
    }

    private HostApplicationBuilder CreateBuilder(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        settings.TryAdd("Mixpanel:StorageDirectory", _directory.Path);
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddProvider(new FakeLoggerProvider(_logs)).SetMinimumLevel(LogLevel.Information);
        return builder;
    }
}
