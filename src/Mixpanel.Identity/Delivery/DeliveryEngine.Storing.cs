using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity.Delivery;

/// <summary>The loop's first half: taking what the app's threads handed over, and storing it.</summary>
internal sealed partial class DeliveryEngine
{
    private IdentityState? _lastSaved;
    private int _lastRecordBytes;

    // Records taken from the intake and not yet counted off its shared count (it is done in groups).
    private int _takenUncounted;

    // The default properties read from the platform once, and the app's device info they were last combined with.
    private PropertyMap _platformProperties = PropertyMap.Empty;
    private PropertyMap? _appliedDeviceInfo;

    private int GroupCount
    {
        get
        {
            var count = 0;
            foreach (var n in _groupCounts)
            {
                count += n;
            }

            return count;
        }
    }

    private int GroupBytes
    {
        get
        {
            var bytes = 0;
            foreach (var group in _groups)
            {
                bytes += group.Length;
            }

            return bytes;
        }
    }

    /// <summary>
    /// Takes everything waiting, in order: serializes records into groups, writes a group when it is due, saves
    /// identity changes after the records before them, and acts on markers. On the final pass everything is written,
    /// whatever the gathering rules say.
    /// </summary>
    private void TakeIntake(bool final)
    {
        var taken = 0;
        while (true)
        {
            if (GroupBytes >= MaxGroupBytes && !TryCommit(final))
            {
                // The disk is failing: records wait in the intake, whose bounds apply, until it recovers.
                break;
            }

            IntakeItem item;
            if (_heldItem is { } held)
            {
                item = held;
            }
            else if (_intake.TryTake(out item))
            {
                if (item.Record is not null)
                {
                    _takenUncounted++;
                }
            }
            else
            {
                break;
            }

            _heldItem = null;
            if (!Process(item, final))
            {
                _heldItem = item;
                break;
            }

            if (++taken % 256 == 0)
            {
                CountOffTaken();
                if (!final && AnswerWaiting())
                {
                    SettleAnswers();
                    StartRequests();
                }
            }

            if (!final && taken == MaxTakenPerTurn)
            {
                // The rest is taken in the next turn, after the answers that came in meanwhile.
                _wake.Set();
                break;
            }
        }

        if (_changes.Count > 0)
        {
            ApplyChanges(final);
        }

        CountOffTaken();
        var persistDue = _groupStartedAt != 0 && Now - _groupStartedAt >= Ticks(_options.PersistInterval);
        if (BatchTrigger.ShouldCommit(GroupCount, GroupBytes, MaxGroupBytes, persistDue, final, IdleEndpointWouldFill()))
        {
            TryCommit(final);
        }
    }

    /// <summary>Acts on one item; false when it must wait (the disk is failing) and be taken again.</summary>
    private bool Process(IntakeItem item, bool final)
    {
        // Changes are saved before anything that follows them: a released profile update must reach the queue before
        // a later update of the same profile.
        if (item.Change is null && _changes.Count > 0 && !ApplyChanges(final) && item.Marker is FlushRequest)
        {
            return false;
        }

        if (item.Record is { } record)
        {
            Serialize(record);
            return true;
        }

        switch ((object?)item.Change ?? item.Marker)
        {
            case IdentityChange change:
                if (GroupCount > 0 && !TryCommit(final))
                {
                    return false;
                }

                _changes.Add(change);
                return true;
            case PurgeMarker purge:
                PurgeQueue(purge.Generation);
                return true;
            case FlushRequest flush:
                if (GroupCount > 0 && !TryCommit(final))
                {
                    return false;
                }

                if (!flush.Deliver)
                {
                    flush.Complete();
                    return true;
                }

                for (var i = 0; i < RecordEndpoints.Count; i++)
                {
                    flush.Targets[i] = _queue[(RecordEndpoint)i].AppendedTotal;
                    _endpoints[i].DrainTarget = Math.Max(_endpoints[i].DrainTarget, flush.Targets[i]);
                }

                _flushes.Add(flush);
                return true;
            default:
                throw new InvalidOperationException("An empty intake item.");
        }
    }

    /// <summary>
    /// Serializes an accepted record into a frame at the end of <paramref name="into"/>, numbered <paramref name="number"/>
    /// in its log; false, with nothing left in <paramref name="into"/> and the drop counted, when it cannot be written or
    /// is larger than Mixpanel takes.
    /// </summary>
    private bool TryFrame(ByteBuffer into, PendingRecord record, long number, long releaseTag)
    {
        var start = into.Length;
        into.GetSpan(RecordFrame.HeaderSize);
        into.Advance(RecordFrame.HeaderSize);
        try
        {
            _json.Reset(into);
            _serializer.Write(_json, record);
            _json.Flush();
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException)
        {
            into.Truncate(start);
            _counters.OnDropped(DropReason.Rejected, 1, wasQueued: true);
            Log.RecordUnwritable(_logger, record.Endpoint.ToString(), exception.GetType().Name);
            return false;
        }

        var payload = into.Length - start - RecordFrame.HeaderSize;
        if (payload > MixpanelLimits.MaxRecordBytes)
        {
            into.Truncate(start);
            _counters.OnDropped(DropReason.TooLarge, 1, wasQueued: true);
            Log.RecordTooLarge(_logger, record.Endpoint.ToString(), payload);
            return false;
        }

        var time = record is EventRecord eventRecord ? eventRecord.TimeMilliseconds : 0;
        RecordFrame.Seal(into, start, number, _queue.TakeSequence(), time, releaseTag);
        _lastRecordBytes = payload;
        return true;
    }

    private void Serialize(PendingRecord record)
    {
        if (!ReferenceEquals(_appliedDeviceInfo, DeviceInfo))
        {
            _appliedDeviceInfo = DeviceInfo;
            _serializer.Defaults = _options.SendDefaultProperties ? _platformProperties.With(_appliedDeviceInfo, overwrite: true) : PropertyMap.Empty;
        }

        if (record.OptOutGeneration < _purgedGeneration)
        {
            // Made before an opt-out whose purge came through first.
            _counters.OnDropped(DropReason.OptedOut, 1, wasQueued: true);
            return;
        }

        var index = (int)record.Endpoint;
        if (!TryFrame(_groups[index], record, _queue[record.Endpoint].NextNumber + _groupCounts[index], releaseTag: 0))
        {
            return;
        }

        _groupCounts[index]++;
        if (_groupStartedAt == 0)
        {
            _groupStartedAt = Now;
        }

        if (_flushDueAt == 0)
        {
            // The periodic send counts from the first record that waits for it.
            _flushDueAt = Now + Ticks(_options.FlushInterval);
        }
    }

    /// <summary>Whether an endpoint with nothing on the wire would have a full batch if the group were written now.</summary>
    private bool IdleEndpointWouldFill()
    {
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            if (_groupCounts[i] > 0 && !_endpoints[i].IsBusy && _queue[(RecordEndpoint)i].UnreadCount + _groupCounts[i] >= _options.BatchSize)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes the group; false while the disk is failing (it is tried again after a pause, records kept).</summary>
    private bool TryCommit(bool final)
    {
        if (GroupCount == 0)
        {
            return true;
        }

        if (!final && Now < _commitRetryAt)
        {
            return false;
        }

        try
        {
            for (var i = 0; i < RecordEndpoints.Count; i++)
            {
                if (_groupCounts[i] == 0)
                {
                    continue;
                }

                _queue.Append((RecordEndpoint)i, _groups[i], _groupCounts[i]);
                _counters.OnPersisted(_groupCounts[i]);
                _groups[i].Clear();
                _groups[i].ShrinkTo(MaxGroupBytes);
                _groupCounts[i] = 0;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            if (!final)
            {
                PauseForDisk(exception);
                return false;
            }

            // The last pass before exit: what could not be written ends with the process. Counted.
            Log.QueueWriteFailed(_logger, TimeSpan.Zero, exception);
            _counters.OnDropped(DropReason.QueueFull, GroupCount, wasQueued: true);
            for (var i = 0; i < RecordEndpoints.Count; i++)
            {
                _groups[i].Clear();
                _groupCounts[i] = 0;
            }
        }

        _commitFailures = 0;
        _intake.StorageFailing = false;
        _groupStartedAt = 0;
        CountOffTaken();
        var dropped = _queue.Trim(_options.MaxQueueSize, _options.MaxQueueBytes, _intake.Records, _intake.EstimatedBytes);
        if (dropped > 0)
        {
            _counters.OnDropped(DropReason.QueueFull, dropped, wasQueued: true);
            Log.QueueFull(_logger, dropped);
            CommitIdle();
        }

        CountDamaged();
        return true;
    }

    private void CountOffTaken()
    {
        _intake.OnProgress(_takenUncounted, _lastRecordBytes);
        _takenUncounted = 0;
    }

    /// <summary>Commits what endpoints with nothing being sent have consumed meanwhile (trimmed, purged), so that flushes waiting on it complete.</summary>
    private void CommitIdle()
    {
        foreach (var endpoint in _endpoints)
        {
            if (!endpoint.IsBusy)
            {
                Commit(endpoint);
            }
        }
    }

    private void PauseForDisk(Exception exception) => Log.QueueWriteFailed(_logger, NextDiskPause(), exception);

    /// <summary>Puts off the next write (of the queue or the identity) after a failed one: 1 s, doubling up to <see cref="MaxFailurePause"/>.</summary>
    private TimeSpan NextDiskPause()
    {
        // Track stops waiting for room at once: the loop makes none until the disk recovers (a write succeeds).
        _intake.StorageFailing = true;
        var pause = TimeSpan.FromSeconds(Math.Min(MaxFailurePause.TotalSeconds, Math.Pow(2, _commitFailures++)));
        _commitRetryAt = Now + Ticks(pause);
        return pause;
    }

    /// <summary>The user opted out: everything not yet delivered goes, the batches on the wire included.</summary>
    private void PurgeQueue(int generation)
    {
        _purgedGeneration = Math.Max(_purgedGeneration, generation);
        long discarded = GroupCount;
        for (var i = 0; i < RecordEndpoints.Count; i++)
        {
            _groups[i].Clear();
            _groupCounts[i] = 0;
        }

        _groupStartedAt = 0;
        discarded += _queue.Purge();
        foreach (var endpoint in _endpoints)
        {
            // The batch read behind the current one goes (its body may still be in the making: it is left to that);
            // a batch waiting to be sent again goes too; one on the wire is dropped when its cancellation settles.
            discarded += endpoint.DropNext();
            if (endpoint.Request is null && endpoint.Parts.Count > 0)
            {
                discarded += endpoint.Parts.Sum(static part => (long)part.Count);
                endpoint.Parts.Clear();
                endpoint.Attempt = 0;
                endpoint.RetryAt = 0;
            }

            if (!endpoint.IsBusy)
            {
                Finish(endpoint);
            }
        }

        _counters.OnDropped(DropReason.OptedOut, discarded, wasQueued: true);
        lock (_cancelGate)
        {
            if (_sendCancel.IsCancellationRequested)
            {
                _sendCancel = new CancellationTokenSource();
            }
        }
    }

    private void CountDamaged()
    {
        var damaged = _queue.TakeDamaged();
        if (damaged > 0)
        {
            _counters.OnDropped(DropReason.Corrupt, damaged, wasQueued: true);
            Log.QueueDamagedRecords(_logger, damaged);
        }
    }
}
