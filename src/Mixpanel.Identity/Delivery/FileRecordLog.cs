using System.Globalization;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// A record log on disk: numbered segment files of checksummed frames, appended in groups and fsynced (by its
/// <see cref="SegmentSyncer"/>), read in order, and a cursor (<see cref="LogCursor"/>) saying how far delivery got.
/// Segments wholly behind the cursor are deleted.
/// </summary>
/// <remarks>
/// A frame counts only once its bytes were written, and the reader never reads past what was counted. A
/// crash mid-write leaves a torn frame at the end of a segment, which the checksum exposes on the next start: it is
/// cut off and counted. Damage anywhere else is stepped over to the next intact frame, and the frames' numbers say
/// how many records it took. The cursor is written after a delivery is acknowledged; a crash before that sends the
/// batch again, which Mixpanel deduplicates by <c>$insert_id</c>.
/// </remarks>
internal sealed partial class FileRecordLog : IRecordLog
{
    public const string SegmentExtension = ".seg";
    public const string CursorFileName = LogCursor.FileName;

    private readonly string _directory;
    private readonly long _segmentMaxBytes;
    private readonly List<LogSegment> _segments;
    private readonly LogCursor _cursor;
    private long _nextSegmentNumber;

    private LogSegment? _active;
    private FileStream? _activeStream;

    private int _readIndex;
    private long _readOffset;
    private long _expected;
    private readonly SegmentReader _reader = new();
    private SegmentSyncer _syncer = new(0);
    private long _consumed;
    private long _damaged;

    private FileRecordLog(string directory, long segmentMaxBytes, bool syncEveryCommit, List<LogSegment> segments)
    {
        _directory = directory;
        _segmentMaxBytes = segmentMaxBytes;
        _cursor = new LogCursor(directory, syncEveryCommit);
        _segments = segments;
    }

    public long NextNumber { get; private set; } = 1;

    public long UnreadCount => NextNumber - _expected;

    public long UnreadBytes { get; private set; }

    public long AppendedTotal { get; private set; }

    public long DurableTotal => _syncer.DurableTotal;

    public Task? Syncing => _syncer.Pass;

    public long CompletedTotal { get; private set; }

    /// <summary>Records found at open beyond the cursor (including any that damage will turn out to have taken).</summary>
    public long Recovered { get; private set; }

    /// <summary>Records cut off at open: writes torn by a crash, one for each torn tail.</summary>
    public long TornAtOpen { get; private set; }

    /// <summary>The highest sequence number found at open.</summary>
    public long MaxSequence { get; private set; }

    public ReadMark ReadPosition => new(_consumed, ReadSegment?.Number ?? _nextSegmentNumber, _readOffset, _expected);

    private LogSegment? ReadSegment => _readIndex < _segments.Count ? _segments[_readIndex] : null;

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, recovering what an earlier run left. Records tagged
    /// <paramref name="discardTag"/> (a release of held profile updates that was never saved) are cut off unread.
    /// </summary>
    /// <param name="directory">The log's folder.</param>
    /// <param name="segmentMaxBytes">Bytes after which appending moves to a new segment.</param>
    /// <param name="syncEveryCommit">
    /// Whether every cursor write is flushed to disk. Events are deduplicated by <c>$insert_id</c>, so for them a cursor
    /// lost to power loss only means a resend, and it is flushed when delivery moves to the next segment; profile
    /// operations such as <c>$add</c> are not deduplicated, so their cursor is flushed every time.
    /// </param>
    /// <param name="discardTag">A release tag whose records are cut off, or 0.</param>
    public static FileRecordLog Open(string directory, long segmentMaxBytes, bool syncEveryCommit, long discardTag)
    {
        StorageFiles.CreateOwnerOnlyDirectory(directory);
        var segments = new List<LogSegment>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + SegmentExtension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                segments.Add(new LogSegment(number, path));
            }
        }

        segments.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        var log = new FileRecordLog(directory, segmentMaxBytes, syncEveryCommit, segments);
        try
        {
            log.Recover(discardTag);
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    public void Append(ByteBuffer frames, int count, bool durable)
    {
        if (_active is null || _activeStream is null || _active.Length >= _segmentMaxBytes || !File.Exists(_active.Path))
        {
            StartSegment();
        }

        var segment = _active!;
        try
        {
            _activeStream!.Write(frames.Array, 0, frames.Length);
            _activeStream.Flush(flushToDisk: false);
            if (durable)
            {
                _syncer.SyncNow(_activeStream, segment.Path, AppendedTotal + count);
            }
        }
        catch
        {
            // Bytes may be half-written past the counted length: they are cut off at once, since on a full disk they
            // hold the very space a later write needs (and were they to stay, the next start would cut them off).
            // Appending resumes in a fresh segment; one left with nothing counted in it goes at once, so that a disk
            // failing for minutes does not leave a file per attempt.
            StorageFiles.DisposeQuietly(_activeStream);
            StorageFiles.TruncateQuietly(segment.Path, segment.Length);
            _activeStream = null;
            _active = null;
            if (segment.Length == 0 && _segments.Count > 0 && _segments[_segments.Count - 1] == segment)
            {
                StorageFiles.TryDelete(segment.Path);
                _segments.RemoveAt(_segments.Count - 1);
                _readIndex = Math.Min(_readIndex, _segments.Count);
            }

            throw;
        }

        segment.Length += frames.Length;
        NextNumber += count;
        AppendedTotal += count;
        UnreadBytes += frames.Length;
        if (!durable)
        {
            _syncer.Written(segment.Path, AppendedTotal);
        }
    }

    public void CompleteSync() => _syncer.Collect();

    public void Sync()
    {
        if (DurableTotal < AppendedTotal)
        {
            _syncer.SyncNow(_activeStream, _active?.Path, AppendedTotal);
        }
    }

    public bool TryPeek(out RecordFrame header)
    {
        while (NextNumber > _expected)
        {
            var segment = ReadSegment;
            if (segment is null || _readOffset >= segment.Length)
            {
                if (_readIndex + 1 < _segments.Count)
                {
                    _readIndex++;
                    _readOffset = 0;
                    continue;
                }

                // The numbers say more was appended than the segments hold: the rest is lost.
                Lose(NextNumber - _expected);
                break;
            }

            ReadOnlySpan<byte> bytes;
            try
            {
                bytes = Read(segment, _readOffset, (int)Math.Min(RecordFrame.HeaderSize, segment.Length - _readOffset));
            }
            catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
            {
                // Deleted under us (a cleaner, a backup tool, the folder removed): what it held is gone.
                SkipRestOf(segment);
                continue;
            }

            if (RecordFrame.TryReadHeader(bytes, out header) && _readOffset + header.TotalLength <= segment.Length && header.Number >= _expected)
            {
                if (header.Number > _expected)
                {
                    Lose(header.Number - _expected);
                }

                return true;
            }

            Resync(segment, _readOffset + 1);
        }

        header = default;
        return false;
    }

    public bool ReadNext(ByteBuffer destination)
    {
        var segment = ReadSegment!;
        RecordFrame.TryReadHeader(Read(segment, _readOffset, RecordFrame.HeaderSize), out var header);
        var frame = Read(segment, _readOffset, header.TotalLength);
        if (!RecordFrame.IsIntact(frame))
        {
            Resync(segment, _readOffset + 1);
            return false;
        }

        destination.Write(frame.Slice(RecordFrame.HeaderSize));
        Consume(header);
        return true;
    }

    public void SkipNext()
    {
        RecordFrame.TryReadHeader(Read(ReadSegment!, _readOffset, RecordFrame.HeaderSize), out var header);
        Consume(header);
    }

    public void SkipUnreadableFile()
    {
        if (ReadSegment is { } segment)
        {
            SkipRestOf(segment);
        }
    }

    public void CommitRead(ReadMark upTo)
    {
        if (upTo.Consumed <= CompletedTotal)
        {
            return;
        }

        // The count moves once the cursor is written: a cursor that could not be written keeps the records counted
        // as not completed, and the next commit writes it again.
        // A segment read to its end after a failed write is deleted below (see there): the cursor past it must be on
        // disk first.
        var done = _segments.Find(segment => segment.Number == upTo.SegmentNumber);
        var deletesItsSegment = done is not null && done != _active && upTo.Offset >= done.Length;
        _cursor.Write(upTo, deletesItsSegment);
        CompletedTotal = upTo.Consumed;

        // Everything before the cursor's segment is delivered: delete it (the cursor past it is durable by now).
        while (_segments.Count > 0 && _segments[0].Number < upTo.SegmentNumber && _segments[0] != _active)
        {
            _reader.Release(_segments[0]);
            StorageFiles.TryDelete(_segments[0].Path);
            _segments.RemoveAt(0);
            _readIndex--;
        }

        // So is the cursor's own segment once read to its end, when nothing is appended to it any more (a write
        // failed there): on a full disk it holds the room the next write needs, and no later segment may ever come
        // to move the cursor past it.
        if (deletesItsSegment && _segments.Count > 0 && _segments[0] == done)
        {
            _reader.Release(_segments[0]);
            StorageFiles.TryDelete(_segments[0].Path);
            _segments.RemoveAt(0);
            if (--_readIndex < 0)
            {
                _readIndex = 0;
                _readOffset = 0;
            }
        }
    }

    public long TakeDamaged()
    {
        var damaged = _damaged;
        _damaged = 0;
        return damaged;
    }

    public void Dispose()
    {
        // Nothing is buffered (segments and the cursor are written through), so closing never writes, and never throws.
        StorageFiles.DisposeQuietly(_activeStream);
        _activeStream = null;
        _reader.Dispose();
        _cursor.Dispose();
    }

    private void Consume(RecordFrame header)
    {
        _readOffset += header.TotalLength;
        _expected = header.Number + 1;
        _consumed++;
        UnreadBytes -= header.TotalLength;
    }

    private void Lose(long count)
    {
        _expected += count;
        _consumed += count;
        _damaged += count;
    }

    /// <summary>Moves reading to the next intact frame of <paramref name="segment"/> at or after <paramref name="from"/>, or to its end.</summary>
    private void Resync(LogSegment segment, long from)
    {
        var next = -1L;
        if (from < segment.Length)
        {
            var rest = Read(segment, from, (int)(segment.Length - from));
            var found = RecordFrame.FindIntact(rest, 0);
            next = found < 0 ? -1 : from + found;
        }

        if (next < 0)
        {
            SkipRestOf(segment);
            return;
        }

        UnreadBytes -= next - _readOffset;
        _readOffset = next;
    }

    private void SkipRestOf(LogSegment segment)
    {
        UnreadBytes -= segment.Length - _readOffset;
        _readOffset = segment.Length;
    }

    private void StartSegment()
    {
        _activeStream?.Dispose();
        _activeStream = null;
        StorageFiles.CreateOwnerOnlyDirectory(_directory);
        var number = _nextSegmentNumber++;
        var path = Path.Combine(_directory, number.ToString("D16", CultureInfo.InvariantCulture) + SegmentExtension);
        var stream = StorageFiles.OpenOwnerOnly(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        DirectorySync.Flush(_directory);
        var segment = new LogSegment(number, path);
        _segments.Add(segment);
        _active = segment;
        _activeStream = stream;
    }

    private ReadOnlySpan<byte> Read(LogSegment segment, long offset, int length) => _reader.Read(segment, offset, length);

    private readonly record struct ScanResult(long FirstNumber, long LastNumber, long FirstUnreadOffset, int Torn);
}
