using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>A record log in memory, for processes with no writable disk: bounded by the queue's limits, lost on exit.</summary>
internal sealed class MemoryRecordLog : IRecordLog
{
    private readonly Queue<(RecordFrame Header, byte[] Payload)> _unread = new();
    private long _consumed;

    public long NextNumber { get; private set; } = 1;

    public long UnreadCount => _unread.Count;

    public long UnreadBytes { get; private set; }

    public long AppendedTotal { get; private set; }

    public long CompletedTotal { get; private set; }

    public ReadMark ReadPosition => new(_consumed, 0, 0, NextNumber - _unread.Count);

    public long DurableTotal => AppendedTotal;

    public Task? Syncing => null;

    public void CompleteSync()
    {
    }

    public void Sync()
    {
    }

    public void Append(ByteBuffer frames, int count, bool durable)
    {
        var bytes = frames.WrittenSpan;
        var offset = 0;
        while (offset < bytes.Length)
        {
            RecordFrame.TryReadHeader(bytes.Slice(offset), out var header);
            _unread.Enqueue((header, bytes.Slice(offset + RecordFrame.HeaderSize, header.PayloadLength).ToArray()));
            UnreadBytes += header.TotalLength;
            offset += header.TotalLength;
        }

        NextNumber += count;
        AppendedTotal += count;
    }

    public bool TryPeek(out RecordFrame header)
    {
        header = _unread.Count > 0 ? _unread.Peek().Header : default;
        return _unread.Count > 0;
    }

    public bool ReadNext(ByteBuffer destination)
    {
        destination.Write(Consume());
        return true;
    }

    public void SkipNext() => Consume();

    public void SkipUnreadableFile()
    {
    }

    public void CommitRead(ReadMark upTo) => CompletedTotal = Math.Max(CompletedTotal, upTo.Consumed);

    public long TakeDamaged() => 0;

    public void Dispose()
    {
    }

    private byte[] Consume()
    {
        var (header, payload) = _unread.Dequeue();
        _consumed++;
        UnreadBytes -= header.TotalLength;
        return payload;
    }
}
