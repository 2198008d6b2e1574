namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Makes a log's written segments durable: on the caller's thread when asked to (a flush, an identity change, the last
/// pass), or else in a pass of its own off the loop, so that the loop serializes the next group while the disk
/// flushes the last one. One pass at a time; what is written meanwhile goes in the next. Used by the loop alone: a
/// pass works on its own copy of the paths, and hands back only whether it succeeded.
/// </summary>
/// <remarks>
/// A record is readable, and may be sent, as soon as it is written: what a crash of the machine (not of the process)
/// takes before the flush is no more than what it takes before the write. <see cref="DurableTotal"/> says how far
/// the records are known to be on the disk.
/// </remarks>
internal sealed class SegmentSyncer
{
    // Segments written since the last pass began, oldest first, and the appended total they bring durable.
    private readonly List<string> _written = [];
    private long _writtenTotal;

    // The pass in flight, with its own copy of the paths and the total it makes durable. Its result is its failure (or
    // null): a pass never faults, so nothing it meets goes unobserved.
    private Task<Exception?>? _pass;
    private string[] _passPaths = [];
    private long _passTotal;

    public SegmentSyncer(long durableTotal) => DurableTotal = durableTotal;

    /// <summary>The appended total known to be on the disk.</summary>
    public long DurableTotal { get; private set; }

    /// <summary>The pass in flight, if any: the loop is woken when it ends.</summary>
    public Task<Exception?>? Pass => _pass;

    /// <summary><paramref name="path"/> was written, up to <paramref name="total"/> records appended: a pass starts unless one is in flight.</summary>
    public void Written(string path, long total)
    {
        if (_written.Count == 0 || _written[_written.Count - 1] != path)
        {
            _written.Add(path);
        }

        _writtenTotal = total;
        StartPass();
    }

    /// <summary>
    /// Ends a pass that has ended, and starts the next when more was written. Throws the <see cref="IOException"/> of
    /// a pass that failed: its segments are flushed again with the next write or flush, not at once, so that a disk that
    /// keeps failing is tried again at the writer's pace (after its pause), not in a loop.
    /// </summary>
    public void Collect()
    {
        if (_pass is { IsCompleted: true } pass && End(pass) is { } failure)
        {
            throw failure;
        }

        StartPass();
    }

    /// <summary>
    /// Everything written, and <paramref name="active"/> (the segment being written, at <paramref name="activePath"/>),
    /// flushed to the disk now, on this thread, once the pass in flight has ended: <paramref name="total"/> records
    /// appended are then durable.
    /// </summary>
    /// <exception cref="IOException">A flush failed: the segments written stay to be flushed again.</exception>
    public void SyncNow(FileStream? active, string? activePath, long total)
    {
        if (_pass is { } pass)
        {
            // A pass that failed has its segments flushed again below.
            _ = End(pass);
        }

        foreach (var path in _written)
        {
            if (path != activePath)
            {
                FlushFile(path);
            }
        }

        active?.Flush(flushToDisk: true);
        _written.Clear();
        DurableTotal = Math.Max(DurableTotal, total);
    }

    /// <summary>Ends <paramref name="pass"/>, waiting for it if a flush is asked for meanwhile; returns its failure, its segments kept to be flushed again.</summary>
    private IOException? End(Task<Exception?> pass)
    {
        _pass = null;
        if (pass.GetAwaiter().GetResult() is not { } failure)
        {
            DurableTotal = Math.Max(DurableTotal, _passTotal);
            return null;
        }

        _written.InsertRange(0, _passPaths.Where(path => !_written.Contains(path)));
        return failure as IOException ?? new IOException(failure.Message, failure);
    }

    private void StartPass()
    {
        if (_pass is not null || _written.Count == 0)
        {
            return;
        }

        var paths = _written.ToArray();
        _written.Clear();
        _passPaths = paths;
        _passTotal = _writtenTotal;
        _pass = Task.Run(() => FlushAll(paths));
    }

    private static Exception? FlushAll(string[] paths)
    {
        try
        {
            foreach (var path in paths)
            {
                FlushFile(path);
            }

            return null;
        }
#pragma warning disable CA1031 // The failure is the pass's result, which the loop reads: nothing escapes a thread of the pool.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return exception;
        }
    }

    /// <summary>Flushes a segment's written bytes to the disk through a handle of its own (a flush is of the file, whichever handle asks).</summary>
    private static void FlushFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            stream.Flush(flushToDisk: true);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            // Gone: delivered and deleted, or removed, whose records the reader counts as lost.
        }
    }
}
