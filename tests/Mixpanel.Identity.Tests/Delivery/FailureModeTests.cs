using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>What goes wrong at the edges — opt-out mid-send, failing disks, damage found at run time — and stays right.</summary>
public sealed class FailureModeTests
{
    private static readonly TimeSpan SafetyNet = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task OptOut_WhileABatchIsBeingSent_NothingIsSentAfterwardsEvenAfterARestart()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.NeverRespond());
        var first = harness.StartClient();
        for (var i = 0; i < 60; i++)
        {
            first.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        var flush = first.FlushAsync(DeliveryHarness.Patience);
        await harness.Server.WaitForAsync(server => server.HeldRequestCount == 1, DeliveryHarness.Patience);

        first.OptOutTracking();
        await first.PersistAsync(DeliveryHarness.Patience);
        await flush.WaitAsync(SafetyNet);
        first.Diagnostics.GetDropped(DropReason.OptedOut).Should().Be(60, "the batch being sent and the 10 behind it");
        first.Diagnostics.Queued.Should().Be(0);
        await first.DisposeAsync();

        var second = harness.StartClient();
        second.IsOptedOut.Should().BeTrue();
        await second.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().BeEmpty();
    }

    [Fact]
    public async Task FlushAsync_WhileTheDiskFails_CompletesOnceTheClientIsDisposed()
    {
        await using var harness = await DeliveryHarness.StartAsync();

        // Every segment file the writer tries to create fails, as on a full or failing disk.
        var track = Path.Combine(harness.StorageDirectory, "queue", "0", "track");
        for (var segment = 0; segment < 20; segment++)
        {
            Directory.CreateDirectory(Path.Combine(track, segment.ToString("D16", System.Globalization.CultureInfo.InvariantCulture) + ".seg"));
        }

        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var flush = client.FlushAsync();

        await client.DisposeAsync();

        await flush.WaitAsync(SafetyNet);
        client.Diagnostics.Persisted.Should().Be(0);
    }

    [Fact]
    public async Task Delivery_WithDamageInTheMiddleOfASegment_LosesOnlyTheDamagedRecordAndCountsIt()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.BatchSize = 100);
        for (var i = 0; i < 10; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.PersistAsync(DeliveryHarness.Patience);
        var segment = Directory.GetFiles(Path.Combine(harness.StorageDirectory, "queue", "0", "track"), "*.seg").Single();
        var firstLength = RecordFrame.HeaderSize + BitConverter.ToInt32(File.ReadAllBytes(segment), 4);
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            // The second record's header is zeroed, as a bad sector or a zero-filled page after power loss leaves it.
            file.Position = firstLength;
            file.Write(new byte[RecordFrame.HeaderSize]);
        }

        await client.FlushAsync(DeliveryHarness.Patience);
        await client.DisposeAsync().AsTask().WaitAsync(SafetyNet);

        harness.DeliveredNumbers().Should().Equal(0, 2, 3, 4, 5, 6, 7, 8, 9);
        client.Diagnostics.GetDropped(DropReason.Corrupt).Should().Be(1, "the records after the damage are intact and found again");
        client.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task Calls_AfterDispose_ChangeNothingAndAreCountedAsDropped()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Identify("U1");
        await client.DisposeAsync();

        client.Track("Late");
        client.People.Set("late", true);
        client.GetGroup("company", "acme").Set(new Dictionary<string, object?> { ["late"] = true });
        client.Identify("U2");
        client.Reset();

        client.Diagnostics.GetDropped(DropReason.Disposed).Should().Be(3);
        client.UserId.Should().Be("U1");
        client.Diagnostics.GetDropped(DropReason.QueueFull).Should().Be(0);
    }

    [Fact]
    public async Task Calls_FromAnotherThreadWhileTheClientIsDisposed_NeverFailAndAreEachCountedOnce()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        using var stop = new CancellationTokenSource();
        var tracked = 0;
        var tracker = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                client.Track("Numbered", DeliveryHarness.Numbered(tracked++));
                _ = client.DistinctId;
            }
        });
        await harness.Server.WaitForAsync(_ => Volatile.Read(ref tracked) > 1000, DeliveryHarness.Patience);

        await client.DisposeAsync();
        await stop.CancelAsync();
        await tracker;

        (client.Diagnostics.Accepted + client.Diagnostics.GetDropped(DropReason.Disposed)).Should().Be(tracked);
    }

    [Theory]
    [InlineData(nameof(MixpanelOptions.FlushInterval), 60 * 24 * 60)]
    [InlineData(nameof(MixpanelOptions.RequestTimeout), 2 * 24 * 60)]
    [InlineData(nameof(MixpanelOptions.ShutdownTimeout), 2 * 24 * 60)]
    public void Options_IntervalsBeyondWhatTimersTake_AreRefusedAtTheStart(string option, int minutes)
    {
        var options = new MixpanelOptions { ProjectToken = "t", Storage = StorageMode.Memory };
        typeof(MixpanelOptions).GetProperty(option)!.SetValue(options, TimeSpan.FromMinutes(minutes));

        var create = () => new MixpanelClient(options);

        create.Should().Throw<ArgumentException>().WithMessage($"*{option}*");
    }
}
