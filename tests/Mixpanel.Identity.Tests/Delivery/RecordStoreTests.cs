using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

public sealed class RecordStoreTests : IDisposable
{
    private const long SegmentBytes = 64 * 1024;

    private readonly TempDirectory _directory = new();
    private readonly List<RecordStore> _stores = [];
    private long _sequence = 1;

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public void Lease_AfterAppend_ReturnsRecordsInOrderAsAJsonArray()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");

        var batch = new RecordBatch();
        var lease = store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, batch);

        lease.Count.Should().Be(2);
        Body(batch).Should().Be("[{\"n\":1},{\"n\":2}]");
    }

    [Fact]
    public void Complete_ThenReopen_DoesNotReturnCompletedRecords()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());
        store.Complete(RecordEndpoint.Track);
        CloseAll();

        var reopened = Open(out var recovery);
        var batch = new RecordBatch();
        reopened.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);

        recovery.Records.Should().Be(1);
        Body(batch).Should().Be("[{\"n\":3}]");
    }

    [Fact]
    public void Reopen_WithALeaseNeverCompleted_ReturnsItsRecordsAgain()
    {
        var store = Open();
        Append(store, RecordEndpoint.Engage, "{\"a\":1}", "{\"a\":2}");
        store.Lease(RecordEndpoint.Engage, 10, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());
        CloseAll();

        var reopened = Open(out var recovery);
        var batch = new RecordBatch();
        reopened.Lease(RecordEndpoint.Engage, 10, MixpanelLimits.MaxRequestBytes, 0, batch);

        recovery.Records.Should().Be(2);
        Body(batch).Should().Be("[{\"a\":1},{\"a\":2}]");
    }

    [Fact]
    public void Lease_WhileAnotherIsOut_TakesTheRecordsAfterIt()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}");

        var first = new RecordBatch();
        var second = new RecordBatch();
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, first);
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, second);

        Body(first).Should().Be("[{\"n\":1},{\"n\":2}]");
        Body(second).Should().Be("[{\"n\":3},{\"n\":4}]");
        store.Count.Should().Be(5, "leased records are still queued until completed");
    }

    [Fact]
    public void Complete_WithASecondLeaseOut_CommitsOnlyTheFirstAndReopenReturnsTheSecondAgain()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}");
        var totals = store.AppendedTotals();
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());

        store.Complete(RecordEndpoint.Track);

        store.Count.Should().Be(3);
        store.HasCompleted(totals).Should().BeFalse();
        CloseAll();
        var reopened = Open(out var recovery);
        var batch = new RecordBatch();
        reopened.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);
        recovery.Records.Should().Be(3);
        Body(batch).Should().Be("[{\"n\":3},{\"n\":4},{\"n\":5}]");
    }

    [Fact]
    public void Complete_BothLeasesInTurn_CommitsBoth()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}");
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());

        store.Complete(RecordEndpoint.Track);
        store.Complete(RecordEndpoint.Track);

        store.Count.Should().Be(1);
        CloseAll();
        var reopened = Open(out var recovery);
        var batch = new RecordBatch();
        reopened.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);
        recovery.Records.Should().Be(1);
        Body(batch).Should().Be("[{\"n\":5}]");
    }

    [Fact]
    public void Trim_WithTwoLeasesOut_NeverDropsLeasedRecordsAndCommitsTheDroppedWithTheLast()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}", "{\"n\":6}");
        var first = new RecordBatch();
        var second = new RecordBatch();
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, first);
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, second);

        var dropped = store.Trim(maxCount: 4, maxBytes: long.MaxValue);
        store.Complete(RecordEndpoint.Track);
        store.Complete(RecordEndpoint.Track);

        dropped.Should().Be(2, "only the records not on lease can go");
        Body(first).Should().Be("[{\"n\":1},{\"n\":2}]");
        Body(second).Should().Be("[{\"n\":3},{\"n\":4}]");
        store.Count.Should().Be(0);
        CloseAll();
        Open(out var recovery);
        recovery.Records.Should().Be(0, "the dropped records were committed with the last lease");
    }

    [Fact]
    public void InMemoryStore_WithTwoLeasesOut_CompletesThemInOrder()
    {
        var store = RecordStore.CreateInMemory();
        _stores.Add(store);
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        var totals = store.AppendedTotals();
        store.Lease(RecordEndpoint.Track, 1, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());
        store.Lease(RecordEndpoint.Track, 1, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());

        store.Complete(RecordEndpoint.Track);
        store.Count.Should().Be(2);
        store.Complete(RecordEndpoint.Track);
        store.Count.Should().Be(1);
        store.HasCompleted(totals).Should().BeFalse();
    }

    [Fact]
    public void Reopen_AfterATornFinalWrite_CutsItOffAndCountsItOnce()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}");
        CloseAll();
        var segment = Directory.GetFiles(_directory.Combine("track"), "*.seg").Single();
        var complete = File.ReadAllBytes(segment);
        var torn = new ByteBuffer();
        RecordFrame.Append(torn, Encoding.UTF8.GetBytes("{\"n\":3}"), 99, 0);
        File.WriteAllBytes(segment, [.. complete, .. torn.WrittenSpan[..(torn.Length - 3)]]);

        var reopened = Open(out var recovery);
        var batch = new RecordBatch();
        reopened.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);
        CloseAll();

        recovery.Records.Should().Be(2);
        recovery.DamagedRecords.Should().Be(1);
        Body(batch).Should().Be("[{\"n\":1},{\"n\":2}]");
        new FileInfo(segment).Length.Should().Be(complete.Length, "the torn tail is cut off so it is reported once");
        Open(out var again);
        again.DamagedRecords.Should().Be(0);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(12)]
    [InlineData(30)]
    public void Reopen_WithGarbageInTheMiddle_KeepsTheRecordsBeforeIt(int offsetInSecondFrame)
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        CloseAll();
        var segment = Directory.GetFiles(_directory.Combine("track"), "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        var secondFrame = RecordFrame.HeaderSize + "{\"n\":1}".Length;
        bytes[secondFrame + offsetInSecondFrame] ^= 0x5A;
        File.WriteAllBytes(segment, bytes);

        var reopened = Open(out var recovery);
        var batch = new RecordBatch();
        reopened.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);

        recovery.DamagedRecords.Should().Be(1);
        Body(batch).Should().Be("[{\"n\":1}]");
    }

    [Fact]
    public void Reopen_WithAZeroFilledSegmentAndCursor_StartsCleanWithoutThrowing()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}");
        CloseAll();
        var segment = Directory.GetFiles(_directory.Combine("track"), "*.seg").Single();
        File.WriteAllBytes(segment, new byte[8192]);
        File.WriteAllBytes(_directory.Combine("track", FileRecordLog.CursorFileName), new byte[20]);

        var reopened = Open(out var recovery);

        recovery.Records.Should().Be(0);
        recovery.DamagedRecords.Should().Be(1);
        Append(reopened, RecordEndpoint.Track, "{\"n\":2}");
        var batch = new RecordBatch();
        reopened.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);
        Body(batch).Should().Be("[{\"n\":2}]");
    }

    [Fact]
    public void Trim_OverTheRecordLimit_DropsTheOldestAcrossEndpoints()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"t\":1}");
        Append(store, RecordEndpoint.Engage, "{\"e\":1}");
        Append(store, RecordEndpoint.Track, "{\"t\":2}", "{\"t\":3}");
        Append(store, RecordEndpoint.Engage, "{\"e\":2}");

        var dropped = store.Trim(maxCount: 3, maxBytes: long.MaxValue);

        dropped.Should().Be(2);
        var track = new RecordBatch();
        var engage = new RecordBatch();
        store.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, track);
        store.Lease(RecordEndpoint.Engage, 10, MixpanelLimits.MaxRequestBytes, 0, engage);
        Body(track).Should().Be("[{\"t\":2},{\"t\":3}]");
        Body(engage).Should().Be("[{\"e\":2}]");
    }

    [Fact]
    public void Trim_WhileABatchIsOutOnLease_NeverDropsTheLeasedRecords()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}");
        var leased = new RecordBatch();
        store.Lease(RecordEndpoint.Track, 2, MixpanelLimits.MaxRequestBytes, 0, leased);

        var dropped = store.Trim(maxCount: 3, maxBytes: long.MaxValue);
        store.Complete(RecordEndpoint.Track);

        dropped.Should().Be(1);
        Body(leased).Should().Be("[{\"n\":1},{\"n\":2}]");
        var rest = new RecordBatch();
        store.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, rest);
        Body(rest).Should().Be("[{\"n\":4}]");
    }

    [Fact]
    public void Trim_OverTheByteBudget_DropsUntilWithinIt()
    {
        var store = Open();
        var payload = "{\"pad\":\"" + new string('x', 1000) + "\"}";
        Append(store, RecordEndpoint.Track, Enumerable.Repeat(payload, 10).ToArray());

        var dropped = store.Trim(maxCount: long.MaxValue, maxBytes: 5 * (payload.Length + RecordFrame.HeaderSize));

        dropped.Should().Be(5);
        store.Count.Should().Be(5);
    }

    [Fact]
    public void Lease_EventsOlderThanTheCutoff_AreConsumedAndReportedExpired()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, time: 1_000, "{\"old\":1}");
        Append(store, RecordEndpoint.Track, time: 5_000, "{\"new\":1}");

        var batch = new RecordBatch();
        var lease = store.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, notBeforeMilliseconds: 2_000, batch);

        lease.Expired.Should().Be(1);
        Body(batch).Should().Be("[{\"new\":1}]");
    }

    [Fact]
    public void Lease_StopsBeforeTheRequestSizeLimit()
    {
        var store = Open();
        var payload = "{\"pad\":\"" + new string('x', 100) + "\"}";
        Append(store, RecordEndpoint.Track, Enumerable.Repeat(payload, 10).ToArray());

        var batch = new RecordBatch();
        var lease = store.Lease(RecordEndpoint.Track, 10, maxBodyBytes: (3 * (payload.Length + 1)) + 1, 0, batch);

        lease.Count.Should().Be(3);
        batch.BodyLength.Should().BeLessThanOrEqualTo((3 * (payload.Length + 1)) + 1);
    }

    [Fact]
    public void Purge_DropsEverythingNotOnLease()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}");
        Append(store, RecordEndpoint.Groups, "{\"g\":1}");

        store.Purge().Should().Be(3);
        store.Count.Should().Be(0);
        CloseAll();
        Open(out var recovery);
        recovery.Records.Should().Be(0, "the purge is durable");
    }

    [Fact]
    public void Segments_AreDeletedOnceDeliveredPastThem()
    {
        var store = Open();
        var payload = "{\"pad\":\"" + new string('x', 4000) + "\"}";
        for (var i = 0; i < 40; i++)
        {
            Append(store, RecordEndpoint.Track, payload);
        }

        var before = Directory.GetFiles(_directory.Combine("track"), "*.seg").Length;
        var batch = new RecordBatch();
        while (store.Lease(RecordEndpoint.Track, 7, MixpanelLimits.MaxRequestBytes, 0, batch).Count > 0)
        {
            store.Complete(RecordEndpoint.Track);
        }

        before.Should().BeGreaterThan(1);
        Directory.GetFiles(_directory.Combine("track"), "*.seg").Should().HaveCount(1, "only the segment being written is kept");
    }

    [Fact]
    public void HasCompleted_TracksEveryEndpointAppendedBeforeTheTotals()
    {
        var store = Open();
        Append(store, RecordEndpoint.Track, "{\"n\":1}");
        Append(store, RecordEndpoint.Engage, "{\"e\":1}");
        var totals = store.AppendedTotals();
        Append(store, RecordEndpoint.Track, "{\"n\":2}");

        store.Lease(RecordEndpoint.Track, 1, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());
        store.Complete(RecordEndpoint.Track);
        store.HasCompleted(totals).Should().BeFalse();
        store.Lease(RecordEndpoint.Engage, 1, MixpanelLimits.MaxRequestBytes, 0, new RecordBatch());
        store.Complete(RecordEndpoint.Engage);
        store.HasCompleted(totals).Should().BeTrue("the record appended after the totals is not waited for");
    }

    [Fact]
    public void InMemoryStore_BehavesLikeTheDiskStore()
    {
        var store = RecordStore.CreateInMemory();
        _stores.Add(store);
        Append(store, RecordEndpoint.Track, "{\"n\":1}", "{\"n\":2}", "{\"n\":3}");

        store.Trim(2, long.MaxValue).Should().Be(1);
        var batch = new RecordBatch();
        store.Lease(RecordEndpoint.Track, 10, MixpanelLimits.MaxRequestBytes, 0, batch);
        store.Complete(RecordEndpoint.Track);

        Body(batch).Should().Be("[{\"n\":2},{\"n\":3}]");
        store.Count.Should().Be(0);
        store.IsDurable.Should().BeFalse();
    }

    private static string Body(RecordBatch batch)
    {
        var body = new ByteBuffer();
        batch.WriteBody(body, 0, batch.Count);
        return Encoding.UTF8.GetString(body.WrittenSpan);
    }

    private RecordStore Open() => Open(out _);

    private RecordStore Open(out QueueRecovery recovery)
    {
        var store = RecordStore.OpenOnDisk(_directory.Path, SegmentBytes, out recovery);
        _stores.Add(store);
        return store;
    }

    private void CloseAll()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _stores.Clear();
    }

    private void Append(RecordStore store, RecordEndpoint endpoint, params string[] payloads) => Append(store, endpoint, 0, payloads);

    private void Append(RecordStore store, RecordEndpoint endpoint, long time, params string[] payloads)
    {
        var frames = new ByteBuffer();
        foreach (var payload in payloads)
        {
            RecordFrame.Append(frames, Encoding.UTF8.GetBytes(payload), _sequence++, time);
        }

        store.Append(endpoint, frames, payloads.Length);
    }
}
