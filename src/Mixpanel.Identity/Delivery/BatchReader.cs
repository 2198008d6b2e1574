using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Reads an endpoint's batches from its log: events too old for <c>/track</c> moved to the <c>/import</c> log (or
/// expired, counted, without import credentials), at most a request's size, and a file that fails to read retried
/// over a backoff before its records are given up on. It owns that backoff. Used by the loop alone.
/// </summary>
internal sealed class BatchReader(RecordEndpoint kind, MixpanelOptions options, RecordWriter writer, TimeProvider time, ILogger logger, DeliveryCounters counters)
{
    // Reading a file that fails (a backup tool or virus scanner holding it) is tried this many times, over a backoff of
    // 2, 4, 8 and 16 s, before its records are given up on and counted.
    private const int MaxReadAttempts = 5;

    // Age is measured on the monotonic clock within a run: a wall clock that jumps ahead expires nothing.
    private readonly DateTimeOffset _startTime = time.GetUtcNow();
    private readonly long _startTimestamp = time.GetTimestamp();
    private int _failures;

    /// <summary>When a file that failed to read may be read again (a timestamp; 0: at once).</summary>
    public long RetryAt { get; private set; }

    /// <summary>Reads the next batch of <paramref name="log"/> into <paramref name="batch"/>, cleared first; it may come back empty.</summary>
    public void Read(IRecordLog log, Batch batch)
    {
        batch.Clear();
        var expired = 0;
        var notBefore = (_startTime + time.GetElapsedTime(_startTimestamp) - MixpanelLimits.MaxTrackEventAge).ToUnixTimeMilliseconds();
        try
        {
            while (batch.Count < options.BatchSize && log.TryPeek(out var header))
            {
                if (kind == RecordEndpoint.Track && header.TimeMilliseconds != 0 && header.TimeMilliseconds < notBefore)
                {
                    if (options.CanImport)
                    {
                        // Too old for /track, not too old for Mixpanel: it goes to /import, with its time and $insert_id.
                        writer.MoveToImport(log, header);
                    }
                    else
                    {
                        log.SkipNext();
                        expired++;
                    }

                    continue;
                }

                if (batch.Count > 0 && batch.BodyLength + header.PayloadLength + 1 > MixpanelLimits.MaxRequestBytes)
                {
                    break;
                }

                batch.Add(log);
            }

            _failures = 0;
            RetryAt = 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException && batch.Count == 0)
        {
            // A file that cannot be read for now: tried again after a pause, and given up on (counted) only after
            // several attempts. Delivery of the rest goes on.
            if (++_failures >= MaxReadAttempts)
            {
                Log.QueueFileSkipped(logger, kind.ToString(), exception);
                log.SkipUnreadableFile();
                _failures = 0;
                RetryAt = 0;
            }
            else
            {
                var pause = TimeSpan.FromSeconds(Math.Pow(2, _failures));
                Log.QueueReadFailed(logger, kind.ToString(), pause, exception);
                RetryAt = time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // What was read is sent; the record that could not be read is read again next time.
        }

        if (expired > 0)
        {
            counters.OnDropped(DropReason.Expired, expired, wasQueued: true);
            Log.RecordsExpired(logger, expired);
        }

        batch.End = log.ReadPosition;
    }
}
