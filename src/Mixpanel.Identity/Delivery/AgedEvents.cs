using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Events too old for <c>/track</c> on their way to the <c>/import</c> log: framed for it as a batch is read, and
/// appended to it when the disk allows. Until the import log has them, <c>/track</c>'s cursor never passes where the
/// first of them was read, so that a failing disk, or a crash meanwhile, leaves them in <c>/track</c> to be moved again.
/// Used by the loop alone, through the writer, which owns the disk's pause.
/// </summary>
internal sealed class AgedEvents
{
    private readonly ByteBuffer _frames = new(4 * 1024);
    private int _count;
    private ReadMark? _from;

    /// <summary>Whether some wait for the import log.</summary>
    public bool Any => _count > 0;

    /// <summary>Frames the next record of <paramref name="log"/> (the <c>/track</c> log) for <paramref name="queue"/>'s import log (none when it turned out damaged).</summary>
    public void Take(RecordQueue queue, IRecordLog log, RecordFrame header)
    {
        _from ??= log.ReadPosition;
        if (queue.TryMoveNext(log, header, _frames, queue[RecordEndpoint.Import].NextNumber + _count))
        {
            _count++;
        }
    }

    /// <summary>The <c>/track</c> cursor may go up to <paramref name="mark"/>, or only up to aged events not yet in the import log.</summary>
    public ReadMark CommitLimit(ReadMark mark) => _from is { } from && from.Consumed < mark.Consumed ? from : mark;

    /// <summary>Appends them to <paramref name="queue"/>'s import log; false when none waited.</summary>
    /// <exception cref="IOException">The disk failed: they are kept, and so is the limit on <c>/track</c>'s cursor.</exception>
    public bool AppendTo(RecordQueue queue)
    {
        if (_count > 0)
        {
            queue.Append(RecordEndpoint.Import, _frames, _count);
        }

        var appended = _count > 0;
        _frames.Clear();
        _count = 0;
        _from = null;
        return appended;
    }
}
