using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.Delivery;

/// <summary>Opening a log left by an earlier run: the cursor, and a scan of every segment for intact frames.</summary>
internal sealed partial class FileRecordLog
{
    private void Recover(long discardTag)
    {
        var cursor = _cursor.Read();
        _expected = cursor?.NextNumber ?? 0;

        // New segments come after the cursor's, which may be gone: one numbered before it would count as delivered.
        _nextSegmentNumber = cursor is { } atCursor ? atCursor.Segment + 1 : 0;
        var lastNumber = 0L;
        var buffer = new ByteBuffer(0);
        var readSegmentFound = false;
        for (var i = 0; i < _segments.Count; i++)
        {
            var segment = _segments[i];
            _nextSegmentNumber = Math.Max(_nextSegmentNumber, segment.Number + 1);
            if (cursor is { } c && segment.Number < c.Segment)
            {
                // Wholly delivered before the cursor was written past it; only the delete was missed.
                StorageFiles.TryDelete(segment.Path);
                _segments.RemoveAt(i--);
                continue;
            }

            var scan = Scan(segment, buffer, discardTag, _expected);
            TornAtOpen += scan.Torn;
            if (scan.FirstNumber == 0)
            {
                StorageFiles.TryDelete(segment.Path);
                _segments.RemoveAt(i--);
                continue;
            }

            if (_expected == 0)
            {
                _expected = scan.FirstNumber;
            }

            lastNumber = Math.Max(lastNumber, scan.LastNumber);
            if (!readSegmentFound && scan.FirstUnreadOffset >= 0)
            {
                readSegmentFound = true;
                _readIndex = i;
                _readOffset = scan.FirstUnreadOffset;
            }

            if (readSegmentFound)
            {
                UnreadBytes += segment.Length - (i == _readIndex ? _readOffset : 0);
            }
        }

        if (!readSegmentFound)
        {
            _readIndex = _segments.Count;
            _readOffset = 0;
        }

        _expected = Math.Max(_expected, 1);
        NextNumber = Math.Max(lastNumber + 1, _expected);
        Recovered = NextNumber - _expected;
        AppendedTotal = Recovered;
        _syncer = new SegmentSyncer(Recovered);
    }

    /// <summary>
    /// Reads a segment whole (segments are a few megabytes; a file far larger is damage beyond the bound), notes its
    /// intact frames, and cuts off a torn tail or a discarded release.
    /// </summary>
    private ScanResult Scan(LogSegment segment, ByteBuffer buffer, long discardTag, long expected)
    {
        var bound = _segmentMaxBytes + (4L * RecordFrame.MaxPayloadLength);
        buffer.Clear();
        long fileLength;
        using (var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            fileLength = stream.Length;
            var toRead = (int)Math.Min(fileLength, bound);
            _ = buffer.GetSpan(toRead);
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
        var offset = 0;
        var end = 0;
        long first = 0;
        long last = 0;
        long firstUnread = -1;
        var discarded = false;
        while (offset + RecordFrame.HeaderSize <= content.Length)
        {
            var rest = content.Slice(offset);
            if (!RecordFrame.TryReadHeader(rest, out var header) || header.TotalLength > rest.Length || !RecordFrame.IsIntact(rest.Slice(0, header.TotalLength)))
            {
                var next = RecordFrame.FindIntact(content, offset + 1);
                if (next < 0)
                {
                    break;
                }

                offset = next;
                continue;
            }

            if (discardTag != 0 && header.ReleaseTag == discardTag)
            {
                discarded = true;
                break;
            }

            if (first == 0)
            {
                first = header.Number;
            }

            last = header.Number;
            MaxSequence = Math.Max(MaxSequence, header.Sequence);
            if (firstUnread < 0 && header.Number >= expected)
            {
                firstUnread = offset;
            }

            offset += header.TotalLength;
            end = offset;
        }

        var torn = 0;
        if (end < fileLength)
        {
            // What follows the last intact frame was being written when the process died (or is a release cut short,
            // whose records are still held): cut it off, so it is met once and never in a reader's way.
            torn = discarded ? 0 : CountTorn(content.Slice(end));
            using var stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.SetLength(end);
            stream.Flush(flushToDisk: true);
        }

        segment.Length = end;
        return new ScanResult(first, last, firstUnread, torn);
    }

    /// <summary>Records in a torn tail: the frame headers that can be walked, and at least one.</summary>
    private static int CountTorn(ReadOnlySpan<byte> tail)
    {
        var count = 0;
        var offset = 0;
        while (offset + RecordFrame.HeaderSize <= tail.Length && RecordFrame.TryReadHeader(tail.Slice(offset), out var header))
        {
            count++;
            offset += header.TotalLength;
        }

        return Math.Max(count, 1);
    }
}
