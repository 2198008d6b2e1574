using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Records leased from one endpoint's log, laid out as the JSON array body Mixpanel takes
/// (<c>[record,record,…]</c>), with each record's position kept so that a batch can be split or trimmed.
/// The sender owns one and reuses it for every request.
/// </summary>
internal sealed class RecordBatch
{
    private readonly ByteBuffer _body = new(64 * 1024);
    private readonly List<int> _starts = [];
    private readonly List<int> _lengths = [];

    public RecordEndpoint Endpoint { get; private set; }

    public int Count => _starts.Count;

    /// <summary>Bytes of the body with every record in it, brackets included.</summary>
    public int BodyLength => _body.Length + 1;

    public void Reset(RecordEndpoint endpoint)
    {
        Endpoint = endpoint;
        _body.Clear();
        _body.ShrinkTo(1024 * 1024);
        _body.WriteByte((byte)'[');
        _starts.Clear();
        _lengths.Clear();
    }

    /// <summary>Reads the next record of <paramref name="log"/> into the batch; false when it was damaged (or there was none).</summary>
    public bool Add(IRecordLog log)
    {
        var mark = _body.Length;
        if (Count > 0)
        {
            _body.WriteByte((byte)',');
        }

        var start = _body.Length;
        bool added;
        try
        {
            added = log.TryReadNext(_body);
        }
        catch
        {
            _body.Truncate(mark);
            throw;
        }

        if (!added)
        {
            _body.Truncate(mark);
            return false;
        }

        _starts.Add(start);
        _lengths.Add(_body.Length - start);
        return true;
    }

    public ReadOnlySpan<byte> Record(int index) => _body.Array.AsSpan(_starts[index], _lengths[index]);

    /// <summary>Writes the body for records <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1.</summary>
    public void WriteBody(ByteBuffer destination, int start, int count)
    {
        destination.Clear();
        if (start == 0 && count == Count)
        {
            destination.Write(_body.WrittenSpan);
            destination.WriteByte((byte)']');
            return;
        }

        destination.WriteByte((byte)'[');
        for (var i = start; i < start + count; i++)
        {
            if (i > start)
            {
                destination.WriteByte((byte)',');
            }

            destination.Write(Record(i));
        }

        destination.WriteByte((byte)']');
    }
}
