using System.Buffers.Binary;
using System.IO.Hashing;
#if !NET
using Mixpanel.Identity.Compatibility;
#endif
using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// A log's cursor file: how far delivery got (segment, offset, next number), checksummed, written through. It is
/// flushed to the disk when asked, when it moves to another segment, or at every write for a log whose records are not
/// deduplicated. A file deleted under it is made again at the next write. Used by its log alone.
/// </summary>
internal sealed class LogCursor : IDisposable
{
    public const string FileName = "cursor";

    private const int Size = 28;

    private readonly string _directory;
    private readonly bool _syncEveryWrite;
    private FileStream? _stream;
    private long _syncedSegment = -1;

    public LogCursor(string directory, bool syncEveryWrite)
    {
        _directory = directory;
        _syncEveryWrite = syncEveryWrite;
        _stream = Open(Path);
    }

    private string Path => System.IO.Path.Combine(_directory, FileName);

    /// <summary>The cursor as written last; null when there is none, or it is damaged (read from the oldest segment: at worst a batch is sent again).</summary>
    public (long Segment, long Offset, long NextNumber)? Read()
    {
        Span<byte> bytes = stackalloc byte[Size];
        var stream = _stream!;
        stream.Position = 0;
        var read = 0;
        while (read < Size)
        {
            var n = stream.Read(bytes.Slice(read));
            if (n == 0)
            {
                return null;
            }

            read += n;
        }

        var segment = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var offset = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(8));
        var next = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(16));
        return BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice(24)) == Crc32.HashToUInt32(bytes.Slice(0, 24)) && segment >= 0 && offset >= 0 && next > 0
            ? (segment, offset, next)
            : null;
    }

    /// <summary>Writes <paramref name="mark"/>, flushed to the disk when <paramref name="toDisk"/> (or by the rules above).</summary>
    /// <exception cref="IOException">The disk failed: the cursor on disk is as it was, and nothing is left to be written later.</exception>
    public void Write(ReadMark mark, bool toDisk)
    {
        Span<byte> bytes = stackalloc byte[Size];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, mark.SegmentNumber);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.Slice(8), mark.Offset);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.Slice(16), mark.NextNumber);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(24), Crc32.HashToUInt32(bytes.Slice(0, 24)));
        if (_stream is null || !File.Exists(Path))
        {
            // Deleted under us (the folder removed): written afresh, so that a restart does not resend from the start.
            StorageFiles.DisposeQuietly(_stream);
            _stream = null;
            StorageFiles.CreateOwnerOnlyDirectory(_directory);
            _stream = Open(Path);
            _syncedSegment = -1;
        }

        // Unbuffered: a write that fails leaves nothing behind in a buffer to be written again at some later flush.
        var stream = _stream;
        stream.Position = 0;
        stream.Write(bytes);
        var sync = toDisk || _syncEveryWrite || mark.SegmentNumber != _syncedSegment;
        stream.Flush(flushToDisk: sync);
        if (sync)
        {
            _syncedSegment = mark.SegmentNumber;
        }
    }

    public void Dispose()
    {
        StorageFiles.DisposeQuietly(_stream);
        _stream = null;
    }

    private static FileStream Open(string path) =>
        StorageFiles.OpenOwnerOnly(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
}
