using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.Delivery;

/// <summary>One segment file of a <see cref="FileRecordLog"/>: its number, its path, and how much of it counts.</summary>
internal sealed class LogSegment(long number, string path)
{
    public long Number { get; } = number;

    public string Path { get; } = path;

    /// <summary>Bytes written and flushed; the reader never looks past them.</summary>
    public long Length { get; set; }
}

/// <summary>
/// Reads a log's segments through a read-ahead buffer: records are small, and one read of 64 KiB serves hundreds of
/// them. It keeps the segment being read open, and never reads past what was counted as written.
/// </summary>
internal sealed class SegmentReader : IDisposable
{
    private const int ReadAheadBytes = 64 * 1024;

    private FileStream? _stream;
    private LogSegment? _streamSegment;
    private byte[] _ahead = new byte[ReadAheadBytes];
    private LogSegment? _aheadSegment;
    private long _aheadStart;
    private int _aheadLength;

    /// <summary>Bytes of <paramref name="segment"/> at <paramref name="offset"/>: fewer than asked when the file is shorter than was written to it (truncated under us).</summary>
    public ReadOnlySpan<byte> Read(LogSegment segment, long offset, int length)
    {
        if (_aheadSegment == segment && offset >= _aheadStart && offset + length <= _aheadStart + _aheadLength)
        {
            return _ahead.AsSpan((int)(offset - _aheadStart), length);
        }

        // Never read past what was counted: bytes beyond it may be half-written.
        var available = (int)Math.Min(Math.Max(ReadAheadBytes, length), segment.Length - offset);
        if (_ahead.Length < available)
        {
            _ahead = new byte[available];
        }

        if (_streamSegment != segment)
        {
            StorageFiles.DisposeQuietly(_stream);
            _stream = null;
            _streamSegment = null;
            _stream = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            _streamSegment = segment;
        }

        _stream!.Position = offset;
        var read = 0;
        while (read < available)
        {
            var n = _stream.Read(_ahead, read, available - read);
            if (n == 0)
            {
                // Shorter than what was written to it: truncated under us. What is missing is lost.
                break;
            }

            read += n;
        }

        _aheadSegment = segment;
        _aheadStart = offset;
        _aheadLength = read;
        return _ahead.AsSpan(0, Math.Min(read, length));
    }

    /// <summary>Lets go of <paramref name="segment"/>, about to be deleted: an open file keeps its disk space.</summary>
    public void Release(LogSegment segment)
    {
        if (_streamSegment == segment)
        {
            Dispose();
        }

        if (_aheadSegment == segment)
        {
            _aheadSegment = null;
        }
    }

    public void Dispose()
    {
        StorageFiles.DisposeQuietly(_stream);
        _stream = null;
        _streamSegment = null;
    }
}
