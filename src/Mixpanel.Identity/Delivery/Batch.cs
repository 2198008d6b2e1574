using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Records read from one endpoint's log for one request, laid out as the JSON array body Mixpanel takes
/// (<c>[record,record,…]</c>), with each record's place kept so that a batch can be sent in parts. Each endpoint
/// owns one and reuses it for every request.
/// </summary>
internal sealed class Batch
{
    private readonly ByteBuffer _records = new(64 * 1024);
    private readonly List<int> _starts = [];

    public Batch(RecordEndpoint endpoint) => Endpoint = endpoint;

    public RecordEndpoint Endpoint { get; }

    public int Count => _starts.Count;

    /// <summary>Where the log's reading stood when the batch was read: committing the batch commits up to here.</summary>
    public ReadMark End { get; set; }

    /// <summary>The whole batch's request body, made ready (gzipped) while another request is on the wire.</summary>
    public Task<ArraySegment<byte>>? Prepared { get; set; }

    /// <summary>The buffer this batch's bodies are written in.</summary>
    public ByteBuffer Body { get; } = new(64 * 1024);

    /// <summary>The buffer this batch's bodies are gzipped into.</summary>
    public MemoryStream Compressed { get; } = new(16 * 1024);

    /// <summary>Bytes of the body with every record in it, brackets included.</summary>
    public int BodyLength => _records.Length + 2;

    public void Clear()
    {
        Prepared = null;
        _records.Clear();
        _records.ShrinkTo(1024 * 1024);
        _starts.Clear();
    }

    /// <summary>Reads the next record of <paramref name="log"/> into the batch; false when it turned out damaged.</summary>
    public bool Add(IRecordLog log)
    {
        var mark = _records.Length;
        if (Count > 0)
        {
            _records.WriteByte((byte)',');
        }

        var start = _records.Length;
        if (!log.ReadNext(_records))
        {
            _records.Truncate(mark);
            return false;
        }

        _starts.Add(start);
        return true;
    }

    /// <summary>Writes the body for records <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    public void WriteBody(ByteBuffer destination, int start, int count)
    {
        destination.Clear();
        destination.WriteByte((byte)'[');
        if (count > 0)
        {
            var from = _starts[start];
            // A record ends at the comma before the next one, the last at the end of the records.
            var next = start + count;
            var to = next < Count ? _starts[next] - 1 : _records.Length;
            destination.Write(_records.Array.AsSpan(from, to - from));
        }

        destination.WriteByte((byte)']');
    }
}
