using System.Diagnostics;
using System.Globalization;
using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Users;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// Storage at its edges — a disk that fails or fills, locks that do nothing, another process's change — never stalls
/// the app's thread, never sends a record twice, and loses nothing it could keep.
/// </summary>
public sealed class StorageEdgeTests(ITestOutputHelper output)
{
    private const string Secret = "edge-secret";
    private static readonly string Padding = new('x', 250);

    [Fact]
    public async Task Track_WhileStorageFails_NeverWaitsDropsBeyondTheBudgetAndLogsTheDropsOnce()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        BlockSegments(Path.Combine(harness.StorageDirectory, "queue", "0", "track"));
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(logs)));
        await using var client = new MixpanelClient(
            harness.Options(options => options.TrackMemoryBudgetBytes = 64 * 1024), timeProvider: harness.Time, loggerFactory: loggerFactory);

        // The clock never moves: a Track that waited for the writer would wait for ever.
        await Task.Run(() => TrackPadded(client, 20_000)).WaitAsync(DeliveryHarness.Patience);

        var dropped = client.Diagnostics.GetDropped(DropReason.QueueFull);
        dropped.Should().BeGreaterThan(10_000, "beyond the memory budget records are dropped while the disk fails");
        client.Diagnostics.Accepted.Should().Be(20_000);
        logs.GetSnapshot().Where(log => log.Id.Id == 2007).Should().ContainSingle("a drop is logged once, then counted at most once a minute");
    }

    [Fact]
    public async Task Track_AfterAnotherProcessChangedTheIdentity_NeverReadsTheFileOnTheAppsThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            output.WriteLine("NOT RUN: the identity file is swapped for a FIFO, which only Linux (here) offers.");
            return;
        }

        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Track("Before");
        await client.PersistAsync(DeliveryHarness.Patience);
        var anonymous = client.DistinctId;

        // Another process saves a signed-in identity; its file here is a FIFO, whose reader waits until it is written.
        var identityPath = Path.Combine(harness.StorageDirectory, IdentityStore.FileName);
        var changed = IdentityFile.Deserialize(File.ReadAllBytes(identityPath)).WithUser("signed-in-elsewhere", alias: null);
        File.Delete(identityPath);
        Run("mkfifo", identityPath);
        BumpChangeCounter(Path.Combine(harness.StorageDirectory, IdentityStore.VersionFileName));

        await Task.Run(() => client.Track("During")).WaitAsync(DeliveryHarness.Patience);

        // The loop reads it: only now is the FIFO written, and the loop goes on.
        await File.WriteAllBytesAsync(identityPath, IdentityFile.Serialize(changed)).WaitAsync(DeliveryHarness.Patience);
        await client.PersistAsync(DeliveryHarness.Patience);
        File.Delete(identityPath);
        await File.WriteAllBytesAsync(identityPath, IdentityFile.Serialize(changed));
        client.Track("After");
        await client.FlushAsync(DeliveryHarness.Patience);

        var byName = harness.Server.Records.ToDictionary(r => r.EventName ?? "", r => r.DistinctId);
        byName["During"].Should().Be(anonymous, "Track went on with the identity it had, without waiting for the file");
        byName["After"].Should().Be("signed-in-elsewhere", "the loop read the other process's change for the next events");
    }

    [Fact]
    public async Task Start_WhereFileLocksDoNothing_KeepsTheQueueInMemoryInsteadOfSharingASlot()
    {
        using var directory = new TempDirectory();
        await using var server = await KillTestApp.StartServerAsync();

        var printed = await KillTestApp.RunToEndAsync(
            directory.Path, server, first: 1, mode: "start", environment: new Dictionary<string, string?> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" });

        printed.Should().Contain("started durable=False", "two processes whose locks do nothing would share slot 0 and send records twice");
        Directory.Exists(Path.Combine(directory.Path, "queue")).Should().BeFalse();
    }

    [Fact]
    public async Task Start_WhereFileLocksWork_KeepsTheQueueOnDisk()
    {
        using var directory = new TempDirectory();
        await using var server = await KillTestApp.StartServerAsync();

        var printed = await KillTestApp.RunToEndAsync(directory.Path, server, first: 1, mode: "start");

        printed.Should().Contain("started durable=True");
    }

    [Fact]
    public async Task AgedEvents_WhileTheImportLogCannotBeWritten_AreKeptUntilImportHasThem()
    {
        await using var harness = await DeliveryHarness.StartAsync(server => server.ApiSecret = Secret);
        var offline = harness.StartClient(options => options.ApiSecret = Secret);
        for (var n = 0; n < 3; n++)
        {
            offline.Track("Numbered", DeliveryHarness.Numbered(n));
        }

        await offline.DisposeAsync();
        harness.Time.Advance(TimeSpan.FromDays(6));
        var import = Path.Combine(harness.StorageDirectory, "queue", "0", "import");
        BlockSegments(import);
        var client = harness.StartClient(options => options.ApiSecret = Secret);

        var timers = harness.Time.TimersCreated;
        var flush = client.FlushAsync(DeliveryHarness.Patience);
        var pause = await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(1));
        Directory.Delete(import, recursive: true);
        harness.Time.Advance(pause);
        await flush;

        client.Diagnostics.GetDropped(DropReason.Expired).Should().Be(0, "nothing is given up while the import log cannot be written");
        harness.Server.Records.Where(r => r.Endpoint == MixpanelEndpoint.Import).Select(r => r.Properties.GetProperty("n").GetInt32())
            .Should().BeEquivalentTo([0, 1, 2]);
    }

    [Fact]
    public async Task Flush_EverySecondWhileTheNextSegmentCannotBeReadFor4Seconds_SpreadsTheReadsOverTheBackoffAndDeliversEverything()
    {
        await using var harness = await DeliveryHarness.StartAsync();

        // Segments of 64 KiB: the first batch fills one, the records after it go to the next.
        var client = harness.StartClient(options =>
        {
            options.BatchSize = 50;
            options.MaxQueueBytes = 512 * 1024;
        });
        // The first batch goes on the wire at once, and is answered 30 s later.
        harness.Server.Faults.Enqueue(ServerFault.Delay(TimeSpan.FromSeconds(30)));
        TrackPadded(client, 50);
        await client.PersistAsync(DeliveryHarness.Patience);
        await harness.Server.WaitForAsync(server => server.HeldRequestCount >= 1, DeliveryHarness.Patience);
        TrackPadded(client, 10, first: 50);
        await client.PersistAsync(DeliveryHarness.Patience);
        var segments = Directory.GetFiles(Path.Combine(harness.StorageDirectory, "queue", "0", "track"), "*.seg").Order().ToList();
        segments.Should().HaveCount(2);

        // Meanwhile the segment behind it cannot be read: another program holds it, here a folder of its name.
        File.Move(segments[1], segments[1] + ".away");
        Directory.CreateDirectory(segments[1]);
        var flushes = new List<Task>();
        for (var second = 0; second < 4; second++)
        {
            // The app flushes every second: each flush is a turn of the loop.
            flushes.Add(client.FlushAsync(DeliveryHarness.Patience));
            await client.PersistAsync(DeliveryHarness.Patience);
            harness.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Directory.Delete(segments[1]);
        File.Move(segments[1] + ".away", segments[1]);
        for (var wait = 0; wait < 3; wait++)
        {
            harness.Time.Advance(TimeSpan.FromSeconds(30));
            await client.PersistAsync(DeliveryHarness.Patience);
        }

        await Task.WhenAll(flushes);
        harness.Server.Records.Where(r => r.EventName == "Padded").Should().HaveCount(60);
        client.Diagnostics.Dropped.Should().Be(0, "four seconds of a file held are within the backoff of its reads");
    }

    [Fact]
    public async Task FullDisk_WhileTracking_LeavesNoEmptySegmentDisposesWithoutThrowingAndDeliversWhatItKept()
    {
        using var disk = SmallDisk.TryMount(pages: 512, output);
        if (disk is null)
        {
            return;
        }

        await using var harness = await DeliveryHarness.StartAsync();
        var options = harness.Options(o =>
        {
            o.StorageDirectory = disk.Path;
            o.TrackMemoryBudgetBytes = 64 * 1024;
        });
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug));
        var client = new MixpanelClient(options, timeProvider: harness.Time, loggerFactory: loggerFactory);
        using var dump = new LogDump(logs, output);
        for (var n = 0; n < 3; n++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(n));
        }

        await client.PersistAsync(DeliveryHarness.Patience);
        disk.FillLeaving(freePages: 0);

        // Delivered, but the cursor cannot be written: the flush waits for it, and is let go.
        using (var letGo = new CancellationTokenSource())
        {
            var flush = client.FlushAsync(letGo.Token);
            await harness.Server.WaitForAsync(server => server.Records.Count >= 3, DeliveryHarness.Patience);
            await letGo.CancelAsync();
            await flush.Invoking(f => f).Should().ThrowAsync<OperationCanceledException>();
        }

        var timers = harness.Time.TimersCreated;
        await Task.Run(() => TrackPadded(client, 5_000)).WaitAsync(DeliveryHarness.Patience);
        for (var round = 0; round < 4; round++)
        {
            // The writer tries again after each of its pauses (1 s doubling to 30 s); each try fails. Other timers of
            // that range may be armed too (a send's backoff, the flush interval): moving the longest pause on fires
            // whichever was armed.
            var (armed, _) = await harness.Time.WaitForArmAsync(timers, due => due >= TimeSpan.FromSeconds(1) && due <= TimeSpan.FromSeconds(30));
            timers = armed + 1;
            harness.Time.Advance(TimeSpan.FromSeconds(30));
        }

        await client.Invoking(c => c.DisposeAsync().AsTask()).Should().NotThrowAsync();
        var segments = Directory.GetFiles(Path.Combine(disk.Path, "queue"), "*.seg", SearchOption.AllDirectories);
        segments.Select(path => new FileInfo(path).Length).Should().NotContain(0, "a write that failed leaves no empty file behind");

        disk.FreeAll();
        await using var next = new MixpanelClient(options, timeProvider: harness.Time);
        await next.FlushAsync(DeliveryHarness.Patience);
        harness.DeliveredNumbers().Should().Contain([0, 1, 2]).And.OnlyHaveUniqueItems();
        harness.Server.DeduplicatedRecords.Count(r => r.EventName == "Numbered" && r.Properties.GetProperty("n").GetInt32() < 3).Should().Be(3);
    }

    /// <summary>Writes what the client logged to the test's output, for a test that fails.</summary>
    private sealed class LogDump(FakeLogCollector logs, ITestOutputHelper output) : IDisposable
    {
        public void Dispose()
        {
            foreach (var log in logs.GetSnapshot())
            {
                output.WriteLine($"{log.Level} {log.Id.Id} {log.Message} {log.Exception?.GetType().Name} {log.Exception?.Message}");
            }
        }
    }

    private static void TrackPadded(MixpanelClient client, int count, int first = 0)
    {
        for (var i = first; i < first + count; i++)
        {
            // About 1.6 KB of JSON: six strings at the 255 characters Mixpanel keeps of one.
            client.Track("Padded", new Dictionary<string, object?>
            {
                ["i"] = i, ["pad0"] = Padding, ["pad1"] = Padding, ["pad2"] = Padding, ["pad3"] = Padding, ["pad4"] = Padding, ["pad5"] = Padding,
            });
        }
    }

    /// <summary>Makes every segment file the writer tries to create in <paramref name="folder"/> fail, as on a failing disk.</summary>
    private static void BlockSegments(string folder)
    {
        for (var segment = 0; segment < 20; segment++)
        {
            Directory.CreateDirectory(Path.Combine(folder, segment.ToString("D16", CultureInfo.InvariantCulture) + FileRecordLog.SegmentExtension));
        }
    }

    /// <summary>What another process does after saving the identity: moves the shared change counter on.</summary>
    private static void BumpChangeCounter(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        var bytes = new byte[4];
        file.ReadExactly(bytes);
        var value = BitConverter.ToInt32(bytes) + 1;
        file.Position = 0;
        file.Write(BitConverter.GetBytes(value));
        file.Flush(flushToDisk: true);
    }

    private static void Run(string fileName, params string[] arguments)
    {
        using var process = Process.Start(fileName, arguments);
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"{fileName} runs");
    }
}
