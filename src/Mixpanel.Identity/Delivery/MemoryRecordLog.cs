using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>A record log in memory, for processes with no writable disk: bounded by the store's limits, lost on exit.</summary>
internal sealed class MemoryRecordLog : IRecordLog
{
    private readonly object _gate;
    private readonly Queue<(RecordFrame Header, byte[] Payload)> _unread = new();
    private long _readCount;

    public MemoryRecordLog(object gate) => _gate = gate;

    public long UnreadCount => _unread.Count;

    public long UnreadBytes { get; private set; }

    public long AppendedTotal { get; private set; }

    public long CompletedTotal { get; private set; }

    public void Append(ByteBuffer buffer, int count)
    {
        var frames = buffer.WrittenSpan;
        lock (_gate)
        {
            var offset = 0;
            while (offset < frames.Length)
            {
                RecordFrame.TryReadHeader(frames.Slice(offset), out var header);
                var payload = frames.Slice(offset + RecordFrame.HeaderSize, header.PayloadLength).ToArray();
                _unread.Enqueue((header, payload));
                UnreadBytes += header.TotalLength;
                offset += header.TotalLength;
            }

            AppendedTotal += count;
        }
    }

    public bool TryPeek(out RecordFrame header)
    {
        if (_unread.Count == 0)
        {
            header = default;
            return false;
        }

        header = _unread.Peek().Header;
        return true;
    }

    public bool TryReadNext(ByteBuffer destination)
    {
        if (_unread.Count == 0)
        {
            return false;
        }

        destination.Write(Consume());
        return true;
    }

    public bool SkipNext()
    {
        if (_unread.Count == 0)
        {
            return false;
        }

        Consume();
        return true;
    }

    public ReadMark ReadPosition => new(CompletedTotal + _readCount, null, 0);

    public void CommitRead() => CommitRead(ReadPosition);

    public void CommitRead(ReadMark upTo)
    {
        var count = upTo.Consumed - CompletedTotal;
        if (count <= 0)
        {
            return;
        }

        CompletedTotal += count;
        _readCount -= count;
    }

    public long TakeDamaged() => 0;

    private byte[] Consume()
    {
        var (header, payload) = _unread.Dequeue();
        _readCount++;
        UnreadBytes -= header.TotalLength;
        return payload;
    }

    public void Dispose()
    {
    }
}
