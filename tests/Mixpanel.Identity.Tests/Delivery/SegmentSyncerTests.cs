using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>The fsyncs of a log's segments, beside the loop: one pass at a time, and a failure that is neither lost nor retried in a loop.</summary>
public sealed class SegmentSyncerTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    [Fact]
    public async Task Pass_WrittenMeanwhile_GoesInTheNextPass_AndTheTotalFollowsEachPass()
    {
        var first = Segment("1");
        var second = Segment("2");
        var syncer = new SegmentSyncer(durableTotal: 0);

        syncer.Written(first, 3);
        var pass = syncer.Pass!;
        syncer.Written(second, 5);
        syncer.Pass.Should().BeSameAs(pass, "one pass at a time");

        await pass;
        syncer.Collect();
        syncer.DurableTotal.Should().Be(3, "the first pass took what was written before it began");
        syncer.Pass.Should().NotBeNull("what was written meanwhile goes in the next");
        await syncer.Pass!;
        syncer.Collect();
        syncer.DurableTotal.Should().Be(5);
        syncer.Pass.Should().BeNull();
    }

    [Fact]
    public async Task Pass_ThatFails_IsReportedAndTriedAgainWithTheNextWrite_NotInALoop()
    {
        // A path the disk cannot flush as a file: it is a folder.
        var failing = _folder.Combine("9");
        Directory.CreateDirectory(failing);
        var syncer = new SegmentSyncer(durableTotal: 0);

        syncer.Written(failing, 4);
        await syncer.Pass!;

        syncer.Invoking(s => s.Collect()).Should().Throw<IOException>();
        syncer.DurableTotal.Should().Be(0);
        syncer.Pass.Should().BeNull("a disk that fails is tried again at the writer's pace, not at once");

        Directory.Delete(failing);
        File.WriteAllText(failing, "recovered");
        syncer.Written(Segment("10"), 6);
        await syncer.Pass!;
        syncer.Collect();
        syncer.DurableTotal.Should().Be(6, "the segment that failed went again with the next");
    }

    [Fact]
    public async Task SyncNow_WithAPassThatFailed_FlushesItsSegmentsHere()
    {
        var failing = _folder.Combine("3");
        Directory.CreateDirectory(failing);
        var syncer = new SegmentSyncer(durableTotal: 0);
        syncer.Written(failing, 2);
        (await syncer.Pass!).Should().NotBeNull("the pass failed, and nobody has collected it yet");
        Directory.Delete(failing);
        File.WriteAllText(failing, "recovered");

        using var active = File.OpenWrite(Segment("4"));
        syncer.Written(_folder.Combine("4"), 7);
        syncer.SyncNow(active, _folder.Combine("4"), total: 7);

        syncer.DurableTotal.Should().Be(7);
        syncer.Pass.Should().BeNull();
    }

    public void Dispose() => _folder.Dispose();

    private string Segment(string name)
    {
        var path = _folder.Combine(name);
        File.WriteAllText(path, "frames");
        return path;
    }
}
