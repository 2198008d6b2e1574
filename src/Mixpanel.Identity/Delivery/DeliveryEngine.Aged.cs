using Mixpanel.Identity.Diagnostics;
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

    /// <summary>Frames the next record of <paramref name="log"/> for the <c>/import</c> log (none when it turned out damaged).</summary>
    private void MoveToImport(IRecordLog log, RecordFrame header)
    {
        if (_queue.TryMoveNext(log, header, _aged, _queue[RecordEndpoint.Import].NextNumber + _agedCount))
        {
            _agedCount++;
        }
    }

    /// <summary>Appends the records <see cref="MoveToImport"/> framed to the <c>/import</c> log; returns how many could not be (they are lost, and counted).</summary>
    private int AppendAged()
    {
        if (_agedCount == 0)
        {
            return 0;
        }

        try
        {
            var import = _queue[RecordEndpoint.Import];
            import.Append(_aged, _agedCount);

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

            return 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Log.QueueWriteFailed(_logger, TimeSpan.Zero, exception);
            return _agedCount;
        }
        finally
        {
            _aged.Clear();
            _agedCount = 0;
        }
    }
}
