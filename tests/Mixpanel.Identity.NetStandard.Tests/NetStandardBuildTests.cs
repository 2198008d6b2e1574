using System.IO.Compression;
using System.Reflection;
using System.Runtime.Versioning;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Mixpanel.Identity.NetStandard.Tests;

/// <summary>The netstandard2.0 build does what the net8.0 build does: owner-only files, durable identity, delivery.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class NetStandardBuildTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mixpanel-ns20-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void Library_UnderTest_IsTheNetStandardBuild() =>
        typeof(MixpanelClient).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()!.FrameworkName.Should().Be(".NETStandard,Version=v2.0");

    [Fact]
    public async Task Storage_MadeByTheNetStandardBuild_IsOwnerOnly()
    {
        var storage = Path.Combine(_directory, "app", "mixpanel");
        await using (var client = new MixpanelClient(new MixpanelOptions { ProjectToken = "t", StorageDirectory = storage, ApiHost = new Uri("http://127.0.0.1:9/"), ShutdownTimeout = TimeSpan.Zero }))
        {
            client.Identify("U1");
            client.Track("Stored");
            await client.PersistAsync();
        }

        File.GetUnixFileMode(storage).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var folder in Directory.EnumerateDirectories(storage, "*", SearchOption.AllDirectories))
        {
            File.GetUnixFileMode(folder).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, folder);
        }

        var files = Directory.EnumerateFiles(storage, "*", SearchOption.AllDirectories).ToList();
        files.Should().Contain(f => f.EndsWith(".seg", StringComparison.Ordinal)).And.Contain(f => f.EndsWith("identity.json", StringComparison.Ordinal));
        foreach (var file in files)
        {
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite, file);
        }
    }

    [Fact]
    public async Task Storage_OthersMayWriteTo_IsRefusedByTheNetStandardBuildToo()
    {
        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, (UnixFileMode)0x1FF);

        await using var client = new MixpanelClient(new MixpanelOptions { ProjectToken = "t", StorageDirectory = _directory });

        client.Diagnostics.IsDurable.Should().BeFalse();
        Directory.EnumerateFileSystemEntries(_directory).Should().BeEmpty();
    }

    [Fact]
    public async Task Restart_WithTheNetStandardBuild_KeepsTheIdentityAndDeliversWhatWasQueued()
    {
        await using var app = await StartMixpanelAsync();
        string deviceId;
        await using (var first = new MixpanelClient(Options(app.Address)))
        {
            deviceId = first.DeviceId;
            first.Identify("U1");
            first.Register(new Dictionary<string, object?> { ["plan"] = new Dictionary<string, object?> { ["tier"] = new List<object?> { "pro" } } });
            first.Track("Purchased", new Dictionary<string, object?> { ["amount"] = 9.99 });
            await first.PersistAsync();
        }

        await using var second = new MixpanelClient(Options(app.Address));
        second.Track("Opened App");
        await second.FlushAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);

        second.DeviceId.Should().Be(deviceId);
        second.UserId.Should().Be("U1");
        app.Events.Select(e => e.GetProperty("event").GetString()).Should().Contain(["$identify", "Purchased", "Opened App"]);
        app.Events.Should().OnlyContain(e => e.GetProperty("properties").GetProperty("$device_id").GetString() == deviceId);
        app.Events.Single(e => e.GetProperty("event").GetString() == "Opened App").GetProperty("properties")
            .GetProperty("plan").GetProperty("tier")[0].GetString().Should().Be("pro");
        second.Diagnostics.Dropped.Should().Be(0);
    }

    private MixpanelOptions Options(Uri apiHost) => new() { ProjectToken = "t", StorageDirectory = _directory, ApiHost = apiHost };

    private static async Task<FakeMixpanel> StartMixpanelAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeMixpanel(app);
        app.MapPost("/track", fake.TrackAsync);
        await app.StartAsync();
        return fake;
    }

    /// <summary>Mixpanel's /track as far as these tests need: gunzips, keeps every event, answers verbose success.</summary>
    private sealed class FakeMixpanel(WebApplication app) : IAsyncDisposable
    {
        private readonly List<JsonElement> _events = [];

        public Uri Address => new(app.Urls.First() + "/");

        public IReadOnlyList<JsonElement> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public async Task<IResult> TrackAsync(HttpRequest request)
        {
            var body = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
            using var document = await JsonDocument.ParseAsync(body);
            lock (_events)
            {
                _events.AddRange(document.RootElement.EnumerateArray().Select(e => e.Clone()));
            }

            return Results.Text("{\"status\":1,\"error\":null}", "application/json");
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
