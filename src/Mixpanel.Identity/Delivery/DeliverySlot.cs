using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// One batch on its way to Mixpanel: the records leased for it, and the buffers its request body is built, compressed
/// and answered in. The sender keeps a few and reuses them, so that steady-state delivery allocates no buffers.
/// </summary>
internal sealed class DeliverySlot : IDisposable
{
    private const int ResponseBufferBytes = 4 * 1024;

    public RecordBatch Batch { get; } = new();

    /// <summary>The body of the request being sent: some or all of <see cref="Batch"/>, as a JSON array.</summary>
    public ByteBuffer Body { get; } = new(64 * 1024);

    public MemoryStream Compressed { get; } = new();

    /// <summary>The answer's body, read no further than a bound.</summary>
    public ByteBuffer Response { get; } = new(ResponseBufferBytes);

    /// <summary>What goes on the wire: <see cref="Body"/>, or its gzip in <see cref="Compressed"/>.</summary>
    public byte[] Content { get; private set; } = [];

    public int ContentLength { get; private set; }

    public bool IsGzipped { get; private set; }

    /// <summary>The delivery of <see cref="Batch"/> under way or finished; null while the slot is free or its batch is to be sent again.</summary>
    public Task<bool>? Delivery { get; set; }

    public void SetContent(byte[] content, int length, bool gzipped)
    {
        Content = content;
        ContentLength = length;
        IsGzipped = gzipped;
    }

    /// <summary>Lets go of buffers a rare huge batch or answer grew, once it is done with.</summary>
    public void Trim()
    {
        Body.ShrinkTo(1024 * 1024);
        Response.ShrinkTo(ResponseBufferBytes);
        if (Compressed.Capacity > 4 * 1024 * 1024)
        {
            Compressed.SetLength(0);
            Compressed.Capacity = 0;
        }
    }

    public void Dispose() => Compressed.Dispose();
}
