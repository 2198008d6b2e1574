using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Events too old for <c>/track</c>: with import credentials, their frames move unchanged to the <c>/import</c> log
/// while a <c>/track</c> batch is read.
/// </summary>
internal sealed partial class DeliveryEngine
{
    // Events moved from /track to /import while a batch is read, framed for the import log.
    private readonly ByteBuffer _aged = new(4 * 1024);
    private int _agedCount;

    // Where the /track log was read from when the first of them was taken: /track's cursor never passes it until the
    // import log has them, so that a failing disk, or a crash meanwhile, leaves them in /track to be moved again.
    private ReadMark? _agedFrom;

    /// <summary>Frames the next record of <paramref name="log"/> for the <c>/import</c> log (none when it turned out damaged).</summary>
    private void MoveToImport(IRecordLog log, RecordFrame header)
    {
        _agedFrom ??= log.ReadPosition;
        if (_queue.TryMoveNext(log, header, _aged, _queue[RecordEndpoint.Import].NextNumber + _agedCount))
        {
            _agedCount++;
        }
    }

    /// <summary>The /track cursor may go up to <paramref name="mark"/>, or only up to the aged events not yet in the import log.</summary>
    private ReadMark TrackCommitLimit(ReadMark mark) => _agedFrom is { } from && from.Consumed < mark.Consumed ? from : mark;

    /// <summary>
    /// Appends the records <see cref="MoveToImport"/> framed to the <c>/import</c> log. On a failing disk they are
    /// kept, and tried again after the disk's pause; nothing is lost.
    /// </summary>
    private void AppendAged()
    {
        if (_agedCount == 0)
        {
            _agedFrom = null;
            return;
        }

        if (Now < _commitRetryAt)
        {
            return;
        }

        try
        {
            var import = _queue[RecordEndpoint.Import];
            _queue.Append(RecordEndpoint.Import, _aged, _agedCount);

            // They are late already: they go now, and a flush waiting for them as /track records waits for them here.
            var moved = import.AppendedTotal;
            _endpoints[(int)RecordEndpoint.Import].DrainTarget = moved;
            foreach (var flush in _flushes)
            {
                if (flush.Deliver)
                {
                    flush.Targets[(int)RecordEndpoint.Import] = Math.Max(flush.Targets[(int)RecordEndpoint.Import], moved);
                }
            }

            _aged.Clear();
            _agedCount = 0;
            _agedFrom = null;

            // /track's cursor, held back at them, may move on now.
            var track = _endpoints[(int)RecordEndpoint.Track];
            if (!track.IsBusy)
            {
                Commit(track);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            PauseForDisk(exception);
        }
    }
}
