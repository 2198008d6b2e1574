using System.Text;
using System.Threading.Channels;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Identity;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
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
        var track = Path.Combine(harness.StorageDirectory, "queue", "track");
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
    public async Task RequestDelivery_AfterTheSenderStopped_CompletesTheFlushAtOnce()
    {
        var options = new MixpanelOptions { ProjectToken = "t" };
        var counters = new DeliveryCounters();
        var store = RecordStore.CreateInMemory();
        using var http = new HttpClient();
        using var ingestion = new IngestionClient(http, options, TimeProvider.System, counters, NullLogger.Instance);
        var loop = new DeliveryLoop(Task.FromResult(store), ingestion, options, counters, NullLogger.Instance, TimeProvider.System, () => { });
        using var stopping = new CancellationTokenSource();
        var run = loop.RunAsync(stopping.Token);
        await stopping.CancelAsync();
        await run;

        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        loop.RequestDelivery(store.AppendedTotals(), completion);

        completion.Task.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task Writer_WhenACursorWriteFailsDuringTrim_KeepsRunning()
    {
        var gate = new object();
        var store = new RecordStore(
            gate,
            [new FailingCommitLog(new MemoryRecordLog(gate)), new MemoryRecordLog(gate), new MemoryRecordLog(gate)],
            isDurable: true,
            firstSequence: 1);
        var options = new MixpanelOptions { ProjectToken = "t", MaxQueueSize = 1, PersistInterval = TimeSpan.Zero };
        var channel = Channel.CreateUnbounded<QueueItem>();
        var counters = new DeliveryCounters();
        using var writer = new QueueWriter(
            channel.Reader, () => store, null, new RecordSerializer("t", LibraryInfo.Current), options, counters, NullLogger.Instance,
            TimeProvider.System, new AsyncSignal(), () => 0, () => { }, (_, completion) => completion?.TrySetResult(true), _ => { }, () => { });
        using var stopping = new CancellationTokenSource();
        var run = writer.RunAsync(stopping.Token);

        var identity = IdentityState.CreateNew();
        foreach (var name in new[] { "a", "b", "c" })
        {
            channel.Writer.TryWrite(new EventRecord(name, PropertyMap.Empty, identity, 1, null));
            var persisted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Writer.TryWrite(new FlushItem(deliver: false, persisted));
            await persisted.Task.WaitAsync(SafetyNet);
        }

        run.IsCompleted.Should().BeFalse("a failed cursor write is tried again with the next commit");
        counters.Persisted.Should().Be(3);
        await stopping.CancelAsync();
        await run.WaitAsync(SafetyNet);
    }

    [Fact]
    public void Lease_DamageFoundAtRunTime_IsConsumedAndCounted()
    {
        using var directory = new TempDirectory();
        using var store = StoreWithDamagedSecondRecord(directory);

        var batch = new RecordBatch();
        var lease = store.Lease(RecordEndpoint.Track, 50, MixpanelLimits.MaxRequestBytes, 0, batch);

        lease.Count.Should().Be(1);
        lease.Damaged.Should().Be(2, "the rest of the segment cannot be read past the damage");
        store.UnreadCount(RecordEndpoint.Track).Should().Be(0);
    }

    [Fact]
    public void Purge_DamageFoundAtRunTime_CountsEveryRecordOnce()
    {
        using var directory = new TempDirectory();
        using var store = StoreWithDamagedSecondRecord(directory);

        var purged = store.Purge();

        purged.Should().Be(1, "only the record before the damage was readable");
        store.TakeDamaged().Should().Be(2, "the damaged records are counted as damaged, not purged as well");
        store.UnreadCount(RecordEndpoint.Track).Should().Be(0);
    }

    [Fact]
    public async Task Delivery_WithDamageFoundAtRunTime_SettlesAndDisposes()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.BatchSize = 100);
        for (var i = 0; i < 10; i++)
        {
            client.Track("Numbered", DeliveryHarness.Numbered(i));
        }

        await client.PersistAsync(DeliveryHarness.Patience);
        var segment = Directory.GetFiles(Path.Combine(harness.StorageDirectory, "queue", "track"), "*.seg").Single();
        var firstLength = RecordFrame.HeaderSize + BitConverter.ToInt32(File.ReadAllBytes(segment), 0);
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Position = firstLength;
            file.Write(new byte[4]);
        }

        await client.FlushAsync(DeliveryHarness.Patience);
        await client.DisposeAsync().AsTask().WaitAsync(SafetyNet);

        harness.DeliveredNumbers().Should().Equal(0);
        client.Diagnostics.GetDropped(DropReason.Corrupt).Should().Be(9);
        client.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public void Lease_WhenTheNextSegmentCannotBeOpened_LeasesWhatItReadAndLosesNothing()
    {
        using var directory = new TempDirectory();
        using (var earlier = RecordStore.OpenOnDisk(directory.Path, 64 * 1024, out _))
        {
            Append(earlier, 1, "{\"n\":1}", "{\"n\":2}");
        }

        using var store = RecordStore.OpenOnDisk(directory.Path, 64 * 1024, out _);
        Append(store, 3, "{\"n\":3}", "{\"n\":4}");

        // The second segment cannot be opened for a moment (too many open files, a sharing violation, a flaky drive).
        var second = Directory.GetFiles(Path.Combine(directory.Path, "track"), "*.seg").Order(StringComparer.Ordinal).Last();
        File.Move(second, second + ".away");
        var batch = new RecordBatch();
        var partial = store.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);
        store.Complete(RecordEndpoint.Track);
        File.Move(second + ".away", second);
        var rest = store.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);

        partial.Count.Should().Be(2);
        rest.Count.Should().Be(2);
        Encoding.UTF8.GetString(batch.Record(0)).Should().Be("{\"n\":3}");
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

    // Three records on disk, then a zero-filled patch over the second one's header, inside what was counted as written.
    private static RecordStore StoreWithDamagedSecondRecord(TempDirectory directory)
    {
        var store = RecordStore.OpenOnDisk(directory.Path, 64 * 1024, out _);
        Append(store, 1, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        var segment = Directory.GetFiles(Path.Combine(directory.Path, "track"), "*.seg").Single();
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            file.Position = RecordFrame.HeaderSize + Encoding.UTF8.GetByteCount("{\"n\":1}");
            file.Write(new byte[4]);
        }

        return store;
    }

    private static void Append(RecordStore store, long firstSequence, params string[] payloads)
    {
        var frames = new ByteBuffer();
        foreach (var payload in payloads)
        {
            RecordFrame.Append(frames, Encoding.UTF8.GetBytes(payload), firstSequence++, 0);
        }

        store.Append(RecordEndpoint.Track, frames, payloads.Length);
    }

    /// <summary>A log whose durable commit fails while it has read records, as a cursor write on a failing disk does.</summary>
    private sealed class FailingCommitLog(IRecordLog inner) : IRecordLog
    {
        private int _reads;

        public long UnreadCount => inner.UnreadCount;

        public long UnreadBytes => inner.UnreadBytes;

        public long AppendedTotal => inner.AppendedTotal;

        public long CompletedTotal => inner.CompletedTotal;

        public void Append(ByteBuffer frames, int count) => inner.Append(frames, count);

        public bool TryPeek(out RecordFrame header) => inner.TryPeek(out header);

        public bool TryReadNext(ByteBuffer destination)
        {
            _reads++;
            return inner.TryReadNext(destination);
        }

        public bool SkipNext()
        {
            var skipped = inner.SkipNext();
            _reads += skipped ? 1 : 0;
            return skipped;
        }

        public ReadMark ReadPosition => inner.ReadPosition;

        public void CommitRead()
        {
            if (_reads > 0)
            {
                throw new IOException("Input/output error (cursor write)");
            }

            inner.CommitRead();
        }

        public void CommitRead(ReadMark upTo)
        {
            if (_reads > 0)
            {
                throw new IOException("Input/output error (cursor write)");
            }

            inner.CommitRead(upTo);
        }

        public long TakeDamaged() => inner.TakeDamaged();

        public void Dispose() => inner.Dispose();
    }
}
