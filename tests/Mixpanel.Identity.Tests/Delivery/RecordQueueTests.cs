using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>Each process's slot of a shared queue stays its own, whatever happens to the folder.</summary>
public sealed class RecordQueueTests : IDisposable
{
    private readonly TempDirectory _storage = new();

    private string QueueDirectory => _storage.Combine("queue");

    [Fact]
    public void OpenSlot_AfterTheQueueFolderWasDeleted_NeverTakesTheSlotOfTheLiveProcess()
    {
        using var live = Open();
        live[RecordEndpoint.Engage].Append(QueueFrames.Numbered(1, 3), 3, durable: true);

        // A cache cleaner deletes the folder while the process runs; the next process starts.
        Directory.Delete(QueueDirectory, recursive: true);
        using var next = Open();

        Directory.Exists(Path.Combine(QueueDirectory, "0")).Should().BeFalse(
            "the next process leaves the live process's slot alone: two processes on one slot send the same records, and Mixpanel does not deduplicate $add");
        Directory.Exists(Path.Combine(QueueDirectory, "1")).Should().BeTrue();
    }

    [Fact]
    public void Append_AfterTheSlotsLockFileWasDeleted_TakesTheLockAgainBeforeWriting()
    {
        using var live = Open();
        foreach (var lockFile in Directory.GetFiles(_storage.Path, "*.lock"))
        {
            File.Delete(lockFile);
        }

        live.Append(RecordEndpoint.Engage, QueueFrames.Numbered(1, 1), 1);
        using var next = Open();

        Directory.Exists(Path.Combine(QueueDirectory, "1")).Should().BeTrue("slot 0 is still the live process's");
    }

    [Fact]
    public void AdoptOrphans_OfASlotWhoseProcessEnded_MovesItsRecordsIntoTheLiveSlot()
    {
        using (var ended = Open())
        {
            ended.Append(RecordEndpoint.Track, QueueFrames.Numbered(1, 4), 4);
        }

        using var live = RecordQueue.OpenSlot(QueueDirectory, 64 * 1024, 0, out var recovery)!;
        using var other = Open();

        // The first opener recovered its own slot; a second, adopting, finds nothing left to take.
        recovery.Records.Should().Be(4);
        other.AdoptOrphans(64 * 1024, 0).Records.Should().Be(0);
        live[RecordEndpoint.Track].UnreadCount.Should().Be(4);
    }

    public void Dispose() => _storage.Dispose();

    private RecordQueue Open() => RecordQueue.OpenSlot(QueueDirectory, 64 * 1024, 0, out _) ?? throw new InvalidOperationException("No slot.");
}
