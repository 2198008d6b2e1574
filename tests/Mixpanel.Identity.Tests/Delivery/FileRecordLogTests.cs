using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>One endpoint's log on disk, alone: what it appends it reads back, what it commits stays done, and a full disk leaves it whole.</summary>
public sealed class FileRecordLogTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _folder = new();

    [Fact]
    public void Reopen_AfterACommit_ReadsOnlyTheRecordsAfterTheCursor()
    {
        using (var log = Open(_folder.Path))
        {
            log.Append(QueueFrames.Numbered(1, 5), 5, durable: true);
            log.Append(QueueFrames.Numbered(6, 5), 5, durable: true);
            for (var i = 0; i < 3; i++)
            {
                log.TryPeek(out _);
                log.SkipNext();
            }

            log.CommitRead(log.ReadPosition);
            log.CompletedTotal.Should().Be(3);
        }

        using var reopened = Open(_folder.Path);

        reopened.Recovered.Should().Be(7);
        QueueFrames.ReadAll(reopened).Should().Equal(4, 5, 6, 7, 8, 9, 10);
    }

    [Fact]
    public async Task Append_NotDurable_IsReadableAtOnceAndDurableOnceItsFlushHasEnded()
    {
        using var log = FileRecordLog.Open(_folder.Path, segmentMaxBytes: 256, syncEveryCommit: false, discardTag: 0);
        for (var n = 1; n <= 4; n++)
        {
            log.Append(QueueFrames.Numbered(n, 1, padding: 300), 1, durable: false);
        }

        log.UnreadCount.Should().Be(4, "a record is readable as soon as it is written");
        log.Syncing.Should().NotBeNull("the disk flushes them off the caller's thread");
        while (log.Syncing is { } pass)
        {
            await pass;
            log.CompleteSync();
        }

        log.DurableTotal.Should().Be(4, "every segment written, four of them, was flushed, in passes of one at a time");
        QueueFrames.ReadAll(log).Should().Equal(1, 2, 3, 4);
    }

    [Fact]
    public void Sync_AfterAppendsNotDurable_HasEverythingOnTheDiskWhenItReturns()
    {
        using var log = FileRecordLog.Open(_folder.Path, segmentMaxBytes: 256, syncEveryCommit: false, discardTag: 0);
        for (var n = 1; n <= 3; n++)
        {
            log.Append(QueueFrames.Numbered(n, 1, padding: 300), 1, durable: false);
        }

        log.Sync();

        log.DurableTotal.Should().Be(3);
        log.Syncing.Should().BeNull("the pass in flight was waited for, and what it had not taken was flushed here");
    }

    [Fact]
    public void Segments_WhollyCommitted_AreDeleted()
    {
        using var log = FileRecordLog.Open(_folder.Path, segmentMaxBytes: 256, syncEveryCommit: false, discardTag: 0);
        for (var n = 1; n <= 6; n++)
        {
            log.Append(QueueFrames.Numbered(n, 1, padding: 300), 1, durable: true);
        }

        QueueFrames.ReadAll(log).Should().Equal(1, 2, 3, 4, 5, 6);
        log.CommitRead(log.ReadPosition);

        Directory.GetFiles(_folder.Path, "*" + FileRecordLog.SegmentExtension).Should().HaveCountLessThan(2, "only the segment being appended to stays");
    }

    [Fact]
    public void Append_OnAFullDisk_LeavesNoEmptySegmentAndLosesNothingOnceThereIsRoom()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        using var log = Open(disk.Path);
        log.Append(QueueFrames.Numbered(1, 2), 2, durable: true);
        disk.FillLeaving(freePages: 0);

        for (var attempt = 0; attempt < 10; attempt++)
        {
            var append = () => log.Append(QueueFrames.Numbered(3, 8, padding: 2000), 8, durable: true);
            append.Should().Throw<IOException>();
        }

        Directory.GetFiles(disk.Path, "*" + FileRecordLog.SegmentExtension).Select(path => new FileInfo(path).Length)
            .Should().NotContain(0, "a write that failed leaves no empty file behind");
        disk.FreeAll();
        log.Append(QueueFrames.Numbered(3, 8, padding: 2000), 8, durable: true);
        QueueFrames.ReadAll(log).Should().Equal(Enumerable.Range(1, 10).Select(n => (long)n));
    }

    [Fact]
    public void CommitRead_WhenTheCursorCannotBeWritten_KeepsTheCursorAndDisposesWithoutThrowing()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        var log = Open(disk.Path);
        log.Append(QueueFrames.Numbered(1, 3), 3, durable: true);
        QueueFrames.ReadAll(log);
        disk.FillLeaving(freePages: 0);

        var commit = () => log.CommitRead(log.ReadPosition);

        commit.Should().Throw<IOException>();
        log.CompletedTotal.Should().Be(0, "the cursor moves only once it is written");
        log.Invoking(l => l.Dispose()).Should().NotThrow("nothing failed waits in a buffer to be written again");
        disk.FreeAll();
        using var reopened = Open(disk.Path);
        QueueFrames.ReadAll(reopened).Should().Equal(1, 2, 3);
    }

    [Fact]
    public void CommitRead_OfEverythingBeforeAFailedWrite_FreesTheRoomTheNextWriteNeeds()
    {
        using var disk = SmallDisk.TryMount(pages: 64, output);
        if (disk is null)
        {
            return;
        }

        using (var log = Open(disk.Path))
        {
            log.Append(QueueFrames.Numbered(1, 1), 1, durable: true);
            QueueFrames.ReadAll(log);
            log.CommitRead(log.ReadPosition);
            log.Append(QueueFrames.Numbered(2, 4, padding: 2000), 4, durable: true);
            disk.FillLeaving(freePages: 0);
            var append = () => log.Append(QueueFrames.Numbered(6, 4, padding: 1000), 4, durable: true);
            append.Should().Throw<IOException>();

            QueueFrames.ReadAll(log).Should().Equal(2, 3, 4, 5);
            log.CommitRead(log.ReadPosition);

            // The delivered segment made way: the write that failed now fits.
            append.Should().NotThrow();
            QueueFrames.ReadAll(log).Should().Equal(6, 7, 8, 9);
        }

        using var reopened = Open(disk.Path);
        QueueFrames.ReadAll(reopened).Should().Equal(6, 7, 8, 9);
    }

    public void Dispose() => _folder.Dispose();

    private static FileRecordLog Open(string directory) => FileRecordLog.Open(directory, 64 * 1024, syncEveryCommit: true, discardTag: 0);
}
