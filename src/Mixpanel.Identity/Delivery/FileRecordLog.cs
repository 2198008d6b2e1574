using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
#if !NET
using Mixpanel.Identity.Compatibility;
#endif
using Mixpanel.Identity.Identity;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// A record log on disk: numbered segment files of checksummed frames, appended and fsynced by the writer, read in
/// order by the sender, plus a cursor file saying how far delivery got. Segments wholly behind the cursor are deleted.
/// </summary>
/// <remarks>
/// Crash safety: a frame is counted only after its bytes were written and flushed to disk, and the reader never
/// reads beyond what was counted. A crash mid-write leaves a torn frame at the end of a segment, which the checksum
/// exposes on the next start: it is cut off and counted. The cursor is written after a delivery is acknowledged; a
/// crash before that re-sends the batch, which Mixpanel deduplicates by <c>$insert_id</c>.
/// </remarks>
internal sealed class FileRecordLog : IRecordLog
{
    public const string SegmentExtension = ".seg";
    public const string CursorFileName = "cursor";

    private const int CursorSize = 20;
    private const int ReadAheadBytes = 64 * 1024;

    private readonly object _gate;
    private readonly string _directory;
    private readonly long _segmentMaxBytes;
    private readonly List<Segment> _segments;
    private readonly FileStream _cursorStream;
    private long _nextSegmentNumber;

    // Writer side: only the writer touches the active stream.
    private Segment? _active;
    private FileStream? _activeStream;

    // Reader side, under the store's lock.
    private Segment? _readSegment;
    private long _readOffset;
    private int _readIndexInSegment;
    private FileStream? _readStream;
    private byte[] _ahead = new byte[ReadAheadBytes];
    private Segment? _aheadSegment;
    private long _aheadStart;
    private int _aheadLength;
    private long _readCount;
    private long _unread;
    private long _damaged;

    private FileRecordLog(object gate, string directory, long segmentMaxBytes, List<Segment> segments, FileStream cursorStream)
    {
        _gate = gate;
        _directory = directory;
        _segmentMaxBytes = segmentMaxBytes;
        _segments = segments;
        _cursorStream = cursorStream;
    }

    public long UnreadCount => _unread;

    public long UnreadBytes { get; private set; }

    public long AppendedTotal { get; private set; }

    public long CompletedTotal { get; private set; }

    /// <summary>The highest sequence number found on disk at open.</summary>
    public long MaxSequence { get; private set; }

    /// <summary>The segment files where damage was found at open and cut off (each torn tail counts as one record).</summary>
    public IReadOnlyList<string> DamagedSegments { get; private set; } = [];

    /// <summary>Opens (or creates) the log in <paramref name="directory"/>, recovering what an earlier run left.</summary>
    public static FileRecordLog Open(object gate, string directory, long segmentMaxBytes)
    {
        StorageFiles.CreateOwnerOnlyDirectory(directory);
        var cursorStream = StorageFiles.CreateOwnerOnly(Path.Combine(directory, CursorFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite);
        var (cursorSegment, cursorOffset) = ReadCursor(cursorStream);

        var segments = new List<Segment>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, "*" + SegmentExtension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                segments.Add(new Segment(number, path));
            }
        }

        segments.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        var log = new FileRecordLog(gate, directory, segmentMaxBytes, segments, cursorStream);
        log.Recover(cursorSegment, cursorOffset);
        return log;
    }

    public void Append(ByteBuffer frames, int count)
    {
        Segment segment;
        FileStream stream;
        lock (_gate)
        {
            if (_active is null || _activeStream is null || _active.Length >= _segmentMaxBytes)
            {
                StartSegment();
            }

            segment = _active!;
            stream = _activeStream!;
        }

        try
        {
            stream.Write(frames.Array, 0, frames.Length);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            // Bytes may be half-written past the counted length; they are never read, and the next start cuts them
            // off. Appending resumes in a fresh segment.
            lock (_gate)
            {
                _activeStream = null;
                _active = null;
            }

            stream.Dispose();
            throw;
        }

        lock (_gate)
        {
            segment.Length += frames.Length;
            segment.Count += count;
            _unread += count;
            UnreadBytes += frames.Length;
            AppendedTotal += count;
            _readSegment ??= segment;
        }
    }

    public bool TryPeek(out RecordFrame header)
    {
        while (MoveToUnread())
        {
            var span = ReadSpan(_readOffset, RecordFrame.HeaderSize);
            if (RecordFrame.TryReadHeader(span, out header) && _readOffset + header.TotalLength <= _readSegment!.Length)
            {
                return true;
            }

            // Damage met at run time (the disk changed under us): consume it so that no reader stalls on it.
            SkipRestOfSegment();
        }

        header = default;
        return false;
    }

    public bool TryReadNext(ByteBuffer destination)
    {
        if (!TryPeek(out var header))
        {
            return false;
        }

        var frame = ReadSpan(_readOffset, header.TotalLength);
        if (!RecordFrame.IsIntact(frame))
        {
            SkipRestOfSegment();
            return false;
        }

        destination.Write(frame.Slice(RecordFrame.HeaderSize));
        Consume(header.TotalLength);
        return true;
    }

    public bool SkipNext()
    {
        if (!TryPeek(out var header))
        {
            return false;
        }

        Consume(header.TotalLength);
        return true;
    }

    public ReadMark ReadPosition => new(CompletedTotal + _readCount, _readSegment, _readOffset);

    public void CommitRead() => CommitRead(ReadPosition);

    public void CommitRead(ReadMark upTo)
    {
        var count = upTo.Consumed - CompletedTotal;
        if (count <= 0)
        {
            return;
        }

        CompletedTotal += count;
        _readCount -= count;

        // Something was read before the mark, so it names a segment; marks are committed in order, so that segment
        // and every one after it are still here.
        var segment = (Segment)upTo.Segment!;
        WriteCursor(segment.Number, upTo.Offset);

        // Everything before the cursor's segment is delivered: delete it.
        while (_segments.Count > 0 && _segments[0] != segment)
        {
            var done = _segments[0];
            _segments.RemoveAt(0);
            TryDelete(done.Path);
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
        lock (_gate)
        {
            _activeStream?.Dispose();
            _activeStream = null;
            _readStream?.Dispose();
            _readStream = null;
            _cursorStream.Dispose();
        }
    }

    private static (long Segment, long Offset) ReadCursor(FileStream stream)
    {
        Span<byte> bytes = stackalloc byte[CursorSize];
        stream.Position = 0;
        var read = 0;
        while (read < CursorSize)
        {
            var n = stream.Read(bytes.Slice(read));
            if (n == 0)
            {
                return (0, 0);
            }

            read += n;
        }

        var segment = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(8));
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(16));

        // A damaged cursor means "start from the oldest segment": at worst a batch is sent again and deduplicated.
        return crc == Crc32.HashToUInt32(bytes.Slice(0, 16)) && segment >= 0 && offset >= 0 ? (segment, offset) : (0, 0);
    }

    private void WriteCursor(long segmentNumber, long offset)
    {
        Span<byte> bytes = stackalloc byte[CursorSize];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, segmentNumber);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.Slice(8), offset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(16), Crc32.HashToUInt32(bytes.Slice(0, 16)));
        _cursorStream.Position = 0;
        _cursorStream.Write(bytes);
        _cursorStream.Flush();
    }

    private void Recover(long cursorSegment, long cursorOffset)
    {
        var damaged = new List<string>();
        var buffer = new ByteBuffer(0);
        for (var i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            if (segment.Number < cursorSegment)
            {
                // Wholly delivered before the cursor was written past it; only the delete was missed.
                TryDelete(segment.Path);
                _segments.RemoveAt(i--);
                continue;
            }

            var start = segment.Number == cursorSegment ? cursorOffset : 0;
            var scan = Scan(segment, start, buffer);
            if (scan.Damaged)
            {
                damaged.Add(segment.Path);
            }

            segment.Length = scan.ValidLength;
            segment.Count = scan.RecordsFromStart;
            MaxSequence = Math.Max(MaxSequence, scan.MaxSequence);
            _nextSegmentNumber = Math.Max(_nextSegmentNumber, segment.Number + 1);

            if (scan.RecordsFromStart == 0 && segment.Number != cursorSegment)
            {
                TryDelete(segment.Path);
                _segments.RemoveAt(i--);
                continue;
            }

            if (_readSegment is null)
            {
                _readSegment = segment;
                _readOffset = scan.StartOffset;
                _readIndexInSegment = scan.RecordsBeforeStart;
            }

            _unread += scan.RecordsFromStart - scan.RecordsBeforeStart;
            UnreadBytes += scan.ValidLength - scan.StartOffset;
        }

        _nextSegmentNumber = Math.Max(_nextSegmentNumber, cursorSegment + 1);
        AppendedTotal = _unread;
        DamagedSegments = damaged;
    }

    private ScanResult Scan(Segment segment, long cursorOffset, ByteBuffer buffer)
    {
        // Read the whole segment, bounded: segments are a few megabytes; a file far larger is damage beyond the bound.
        var bound = _segmentMaxBytes + (4 * RecordFrame.MaxPayloadLength);
        buffer.Clear();
        long fileLength;
        using (var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
        {
            fileLength = stream.Length;
            var toRead = (int)Math.Min(fileLength, bound);
            _ = buffer.GetSpan(toRead); // room for the whole segment, read into the array below
            var read = 0;
            while (read < toRead)
            {
                var n = stream.Read(buffer.Array, read, toRead - read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            buffer.Advance(read);
        }

        var content = buffer.WrittenSpan;
        long offset = 0;
        var records = 0;
        var recordsBefore = 0;
        long startOffset = -1;
        long maxSequence = 0;
        while (offset + RecordFrame.HeaderSize <= content.Length)
        {
            if (offset == cursorOffset)
            {
                startOffset = offset;
                recordsBefore = records;
            }

            var rest = content.Slice((int)offset);
            if (!RecordFrame.TryReadHeader(rest, out var header) || header.TotalLength > rest.Length ||
                !RecordFrame.IsIntact(rest.Slice(0, header.TotalLength)))
            {
                break;
            }

            maxSequence = Math.Max(maxSequence, header.Sequence);
            records++;
            offset += header.TotalLength;
        }

        if (offset == cursorOffset)
        {
            startOffset = offset;
            recordsBefore = records;
        }

        // A cursor that doesn't land on a frame boundary is not trusted: resend the segment from its start.
        if (startOffset < 0)
        {
            startOffset = 0;
            recordsBefore = 0;
        }

        var damaged = offset < fileLength;
        if (damaged)
        {
            // Cut the torn tail off, so it is reported once and never in the way of a reader.
            using var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Write, FileShare.None);
            stream.SetLength(offset);
            stream.Flush(flushToDisk: true);
        }

        return new ScanResult(offset, records, startOffset, recordsBefore, maxSequence, damaged);
    }

    private void StartSegment()
    {
        _activeStream?.Dispose();
        var number = _nextSegmentNumber++;
        var path = Path.Combine(_directory, number.ToString("D16", CultureInfo.InvariantCulture) + SegmentExtension);
        var stream = StorageFiles.CreateOwnerOnly(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var segment = new Segment(number, path);
        _segments.Add(segment);
        _active = segment;
        _activeStream = stream;
    }

    /// <summary>Positions the reader on an unread frame, moving to the next segment when one is used up.</summary>
    private bool MoveToUnread()
    {
        if (_unread == 0 || _readSegment is null)
        {
            return false;
        }

        while (_readOffset >= _readSegment.Length)
        {
            var index = _segments.IndexOf(_readSegment);
            if (index < 0 || index + 1 >= _segments.Count)
            {
                return false;
            }

            _readSegment = _segments[index + 1];
            _readOffset = 0;
            _readIndexInSegment = 0;
            _readStream?.Dispose();
            _readStream = null;
        }

        return true;
    }

    private void Consume(int frameLength)
    {
        _readOffset += frameLength;
        _readIndexInSegment++;
        _readCount++;
        _unread--;
        UnreadBytes -= frameLength;
    }

    private void SkipRestOfSegment()
    {
        var segment = _readSegment!;
        var skipped = Math.Min(_unread, Math.Max(1, segment.Count - _readIndexInSegment));
        _damaged += skipped;
        UnreadBytes -= segment.Length - _readOffset;
        _readOffset = segment.Length;
        _readIndexInSegment = segment.Count;
        _readCount += skipped;
        _unread -= skipped;
    }

    /// <summary>Bytes of the read segment at <paramref name="offset"/>, served from a read-ahead buffer.</summary>
    private ReadOnlySpan<byte> ReadSpan(long offset, int length)
    {
        var segment = _readSegment!;
        if (_aheadSegment == segment && offset >= _aheadStart && offset + length <= _aheadStart + _aheadLength)
        {
            return _ahead.AsSpan((int)(offset - _aheadStart), length);
        }

        // Never read past what the writer has counted: bytes beyond it may be half-written.
        var available = (int)Math.Min(Math.Max(ReadAheadBytes, length), segment.Length - offset);
        if (available < length)
        {
            throw new InvalidOperationException("A frame extends past the end of its segment.");
        }

        if (_ahead.Length < available)
        {
            _ahead = new byte[available];
        }

        _readStream ??= new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        _readStream.Position = offset;
        var read = 0;
        while (read < available)
        {
            var n = _readStream.Read(_ahead, read, available - read);
            if (n == 0)
            {
                throw new IOException($"The queue file {segment.Path} is shorter than recorded.");
            }

            read += n;
        }

        _aheadSegment = segment;
        _aheadStart = offset;
        _aheadLength = read;
        return _ahead.AsSpan(0, length);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the next start, which deletes segments behind the cursor.
        }
    }

    private sealed class Segment
    {
        public Segment(long number, string path)
        {
            Number = number;
            Path = path;
        }

        public long Number { get; }

        public string Path { get; }

        /// <summary>Bytes written and flushed; the reader never looks past them.</summary>
        public long Length { get; set; }

        /// <summary>Frames within <see cref="Length"/>.</summary>
        public int Count { get; set; }
    }

    private readonly record struct ScanResult(
        long ValidLength, int RecordsFromStart, long StartOffset, int RecordsBeforeStart, long MaxSequence, bool Damaged);
}
