using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>The loop's second half: reading batches, sending them, and settling each by Mixpanel's answer.</summary>
internal sealed partial class DeliveryEngine
{
    /// <summary>Starts a request on every endpoint that has nothing on the wire, is not waiting to retry, and has something to send.</summary>
    private void StartRequests()
    {
        // Aged events the import log could not take yet: tried again once the disk's pause is over.
        AppendAged();
        if (_haltedStatus != 0)
        {
            return;
        }

        var now = Now;
        if (Interlocked.Exchange(ref _retryNow, 0) == 1)
        {
            // The network is back: the backoff is cut short (its attempt count stays, should the failures go on).
            foreach (var endpoint in _endpoints)
            {
                endpoint.RetryAt = 0;
            }
        }

        if (_flushDueAt != 0 && now >= _flushDueAt)
        {
            // The periodic send: whatever is stored goes, full batch or not.
            _flushDueAt = 0;
            foreach (var endpoint in _endpoints)
            {
                endpoint.DrainTarget = Math.Max(endpoint.DrainTarget, _queue[endpoint.Kind].AppendedTotal);
            }
        }

        foreach (var endpoint in _endpoints)
        {
            if (endpoint.Request is null && endpoint.HaltedStatus == 0 && (endpoint.RetryAt == 0 || now >= endpoint.RetryAt))
            {
                endpoint.RetryAt = 0;
                if (endpoint.Parts.Count == 0 && Lease(endpoint, endpoint.Current))
                {
                    endpoint.Parts.Push((0, endpoint.Current.Count));
                }

                if (endpoint.Parts.Count > 0)
                {
                    Send(endpoint);
                }
            }

            // While a request is on the wire, the batch behind it is read and its body made ready, so that it leaves
            // as soon as the answer is in.
            if (endpoint.Request is not null && endpoint.Next.Count == 0 && Lease(endpoint, endpoint.Next))
            {
                var next = endpoint.Next;
                next.Prepared = Task.Run(() => Sender.Prepare(next, 0, next.Count));
            }
        }

        // Idle means idle: the periodic send is armed only while something is stored or about to be.
        if (_queue.Count == 0 && GroupCount == 0)
        {
            _flushDueAt = 0;
        }
        else if (_flushDueAt == 0)
        {
            _flushDueAt = now + Ticks(_options.FlushInterval);
        }
    }

    /// <summary>Reads the endpoint's next batch into <paramref name="batch"/>, when it has a full one or a flush wants what it has; false when there is nothing to send.</summary>
    private bool Lease(Endpoint endpoint, Batch batch)
    {
        var log = _queue[endpoint.Kind];
        if (!BatchTrigger.ShouldSend(log.UnreadCount, _options.BatchSize, endpoint.DrainTarget > log.CompletedTotal) || Now < endpoint.ReadRetryAt)
        {
            // A file that failed to read is tried again only after its pause, whatever wants it sent meanwhile.
            return false;
        }

        batch.Clear();
        var expired = 0;

        // Age is measured on the monotonic clock within a run: a wall clock that jumps ahead expires nothing.
        var notBefore = (_startTime + _time.GetElapsedTime(_startTimestamp) - MixpanelLimits.MaxTrackEventAge).ToUnixTimeMilliseconds();
        try
        {
            while (batch.Count < _options.BatchSize && log.TryPeek(out var header))
            {
                if (endpoint.Kind == RecordEndpoint.Track && header.TimeMilliseconds != 0 && header.TimeMilliseconds < notBefore)
                {
                    if (_options.CanImport)
                    {
                        // Too old for /track, not too old for Mixpanel: it goes to /import, with its time and $insert_id.
                        MoveToImport(log, header);
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

            endpoint.ReadFailures = 0;
            endpoint.ReadRetryAt = 0;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException && batch.Count == 0)
        {
            // A file that cannot be read for now: tried again after a pause, and given up on (counted) only after
            // several attempts. Delivery of the rest goes on.
            if (++endpoint.ReadFailures >= MaxReadAttempts)
            {
                Log.QueueFileSkipped(_logger, endpoint.Kind.ToString(), exception);
                log.SkipUnreadableFile();
                endpoint.ReadFailures = 0;
            }
            else
            {
                var pause = TimeSpan.FromSeconds(Math.Pow(2, endpoint.ReadFailures));
                Log.QueueReadFailed(_logger, endpoint.Kind.ToString(), pause, exception);
                endpoint.ReadRetryAt = Now + Ticks(pause);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // What was read is sent; the record that could not be read is read again next time.
        }

        AppendAged();
        if (expired > 0)
        {
            _counters.OnDropped(DropReason.Expired, expired, wasQueued: true);
            Log.RecordsExpired(_logger, expired);
        }

        batch.End = log.ReadPosition;
        if (batch.Count == 0 && !endpoint.IsBusy)
        {
            // Only expired or damaged records: they are done with.
            Commit(endpoint);
        }

        return batch.Count > 0;
    }

    private void Send(Endpoint endpoint)
    {
        var part = endpoint.Parts.Pop();
        endpoint.RequestPart = part;
        var batch = endpoint.Current;
        var prepared = part.Start == 0 && part.Count == batch.Count ? batch.Prepared : null;
        CancellationToken token;
        lock (_cancelGate)
        {
            token = _sendCancel.Token;
        }

        // The request runs apart from the loop; its end wakes the loop. A body made ready beforehand goes out from
        // here at once; another is made (gzipped) off the loop first.
        var request = prepared is { Status: TaskStatus.RanToCompletion }
            ? Sender.SendAsync(batch.Endpoint, prepared.Result, token)
            : Task.Run(async () =>
            {
                var content = prepared is not null ? await prepared.ConfigureAwait(false) : Sender.Prepare(batch, part.Start, part.Count);
                return await Sender.SendAsync(batch.Endpoint, content, token).ConfigureAwait(false);
            });
        endpoint.Request = request;
        request.ContinueWith(static (_, state) => ((AsyncSignal)state!).Set(), _wake, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private bool AnswerWaiting() => _endpoints.Any(static endpoint => endpoint.Request is { IsCompleted: true });

    private void SettleAnswers()
    {
        foreach (var endpoint in _endpoints)
        {
            if (endpoint.Request is not { IsCompleted: true } request)
            {
                continue;
            }

            endpoint.Request = null;
            var part = endpoint.RequestPart;
            if (request.IsCanceled || request.Exception?.InnerException is OperationCanceledException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    // Stopping: the batch stays stored for the next start.
                    endpoint.Parts.Push(part);
                    continue;
                }

                // The user opted out while the batch was on its way: it goes with the rest of the queue.
                var dropped = part.Count + endpoint.Parts.Sum(static p => p.Count);
                endpoint.Parts.Clear();
                _counters.OnDropped(DropReason.OptedOut, dropped, wasQueued: true);
                Finish(endpoint);
                continue;
            }

            var result = request.Status == TaskStatus.RanToCompletion ? request.Result : SendResult.Failed(request.Exception!.InnerException!);
            var reply = result.Failure is { } failure
                ? new Reply(ReplyAction.Retry, failure.GetType().Name)
                : Replies.Classify(result.Status, result.Body, part.Count);
            Settle(endpoint, part, reply, result);
            if (!endpoint.IsBusy)
            {
                Finish(endpoint);
            }
        }
    }

    private void Settle(Endpoint endpoint, (int Start, int Count) part, Reply reply, SendResult result)
    {
        var name = endpoint.Kind.ToString();
        var settled = Settlement.Settle(part, reply);
        if (settled.Delivered > 0)
        {
            _counters.OnSent(settled.Delivered);
            Log.BatchSent(_logger, settled.Delivered, name);
        }

        if (settled.Refused.Count > 0)
        {
            _counters.OnDropped(settled.RefusedAs, settled.Refused.Count, wasQueued: true);
            Log.RecordsRejected(_logger, settled.Refused.Count, name, reply.Why, string.Join(",", settled.Refused.Select(i => i - part.Start)));
        }

        for (var i = settled.Resend.Count - 1; i >= 0; i--)
        {
            endpoint.Parts.Push(settled.Resend[i]);
        }

        switch (reply.Action)
        {
            case ReplyAction.Retry:
                endpoint.Parts.Push(part);
                var delay = Backoff.Next(endpoint.Attempt, result.RetryAfter, _random());
                endpoint.Attempt++;
                endpoint.RetryAt = Now + Ticks(delay);
                _counters.OnRetried();
                Log.RetryScheduled(_logger, name, reply.Why, endpoint.Attempt, delay);
                break;
            case ReplyAction.Halt:
                endpoint.Parts.Push(part);
                if (endpoint.Kind == RecordEndpoint.Import)
                {
                    // The import credentials are their own setting: refused, they stop /import only, not the project's tracking.
                    endpoint.HaltedStatus = result.Status;
                }
                else
                {
                    _haltedStatus = result.Status;
                }

                Log.DeliveryHalted(_logger, result.Status, name, reply.Why);
                break;
            default:
                if (reply.Action == ReplyAction.Split && part.Count > 1)
                {
                    Log.BatchSplit(_logger, part.Count, name, reply.Why);
                }

                endpoint.Attempt = 0;
                break;
        }
    }

    /// <summary>The endpoint has settled its current batch: the one read behind it, if any, takes its place.</summary>
    private void Finish(Endpoint endpoint)
    {
        Commit(endpoint);
        endpoint.Advance();
    }

    /// <summary>
    /// Commits what the endpoint has done with: up to the end of its current batch when another is read behind it,
    /// else everything read (including records dropped behind the batch meanwhile: trimmed, purged, expired).
    /// </summary>
    private void Commit(Endpoint endpoint)
    {
        var log = _queue[endpoint.Kind];
        var mark = endpoint.Next.Count > 0 ? endpoint.Current.End : log.ReadPosition;
        try
        {
            log.CommitRead(endpoint.Kind == RecordEndpoint.Track ? TrackCommitLimit(mark) : mark);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The cursor stays where it was on disk, and in memory: the next commit writes it again.
            PauseForDisk(exception);
        }

        CountDamaged();
    }

    private void CompleteFlushes()
    {
        for (var i = _flushes.Count - 1; i >= 0; i--)
        {
            var flush = _flushes[i];
            if (_haltedStatus != 0 || IsCompleted(flush))
            {
                flush.Complete();
                _flushes.RemoveAt(i);
            }
        }
    }

    private bool IsCompleted(FlushRequest flush)
    {
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            if (_endpoints[i].HaltedStatus == 0 && _queue[(RecordEndpoint)i].CompletedTotal < flush.Targets[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Sets the one timer to the earliest moment the loop has something to do; none when it has nothing.</summary>
    private void ArmTimer()
    {
        var due = long.MaxValue;
        if (GroupCount > 0)
        {
            due = Math.Max(_groupStartedAt + Ticks(_options.PersistInterval), _commitRetryAt);
        }

        if (_changes.Count > 0 || _heldItem is not null)
        {
            due = Math.Min(due, _commitRetryAt);
        }

        if (_haltedStatus == 0)
        {
            if (_flushDueAt != 0)
            {
                due = Math.Min(due, _flushDueAt);
            }

            foreach (var endpoint in _endpoints)
            {
                if (endpoint.Request is null && endpoint.RetryAt != 0)
                {
                    due = Math.Min(due, endpoint.RetryAt);
                }

                if (endpoint.ReadRetryAt > Now)
                {
                    due = Math.Min(due, endpoint.ReadRetryAt);
                }
            }
        }

        if (_agedCount > 0 && _commitRetryAt > Now)
        {
            due = Math.Min(due, _commitRetryAt);
        }

        if (due == long.MaxValue)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var wait = due - Now;
        if (wait <= 0)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _wake.Set();
            return;
        }

        _timer.Change(TimeSpan.FromTicks((long)(wait * (TimeSpan.TicksPerSecond / (double)_time.TimestampFrequency))), Timeout.InfiniteTimeSpan);
    }
}
