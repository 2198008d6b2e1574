using System.IO.Compression;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>How reading and decoding a request body went.</summary>
internal enum BodyStatus
{
    /// <summary>Read and decoded within the limit.</summary>
    Complete,

    /// <summary>Larger than the endpoint's limit (<see cref="IngestionLimits.MaxBodyBytes"/>) once decoded.</summary>
    TooLarge,

    /// <summary>Far beyond the limit: the client was cut off rather than read to the end.</summary>
    Abandoned,

    /// <summary>Declared gzip but is not.</summary>
    CorruptEncoding,

    /// <summary>A <c>Content-Encoding</c> other than gzip.</summary>
    UnsupportedEncoding,
}

/// <summary>
/// One request body: the bytes as they arrived and as decoded (gunzipped), each read with a bound so that neither a huge
/// upload nor a gzip bomb costs more than a few megabytes.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private PooledBytes? _decoded;
    private int _maxBodyBytes;

    private RequestBody(PooledBytes raw, BodyStatus status)
    {
        Raw = raw;
        Status = status;
    }

    public PooledBytes Raw { get; }

    /// <summary>The decoded bytes: the raw ones themselves when the body was not compressed.</summary>
    public PooledBytes Decoded => _decoded ?? Raw;

    public BodyStatus Status { get; private set; }

    /// <summary>Whether the body arrived gzipped and <see cref="Decoded"/> holds it inflated.</summary>
    public bool IsInflated => _decoded is not null;

    public static async Task<RequestBody> ReadAsync(Stream body, long? contentLength, string? contentEncoding, int maxBodyBytes, CancellationToken cancellationToken)
    {
        var gzip = false;
        var supported = true;
        if (!string.IsNullOrWhiteSpace(contentEncoding))
        {
            var encoding = contentEncoding.Trim();
            gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
            supported = gzip || encoding.Equals("identity", StringComparison.OrdinalIgnoreCase);
        }

        var limit = gzip ? IngestionLimits.MaxCompressedBodyBytes(maxBodyBytes) : maxBodyBytes;
        var initial = contentLength is { } declared ? (int)Math.Min(declared + 1, limit + 1L) : 16 * 1024;
        var raw = new PooledBytes(initial);
        try
        {
            while (true)
            {
                var space = raw.FreeSpace(limit + 1);
                if (space.IsEmpty)
                {
                    // One byte past the limit proves the body too large: discard the rest without keeping it.
                    var drained = await DrainAsync(body, cancellationToken).ConfigureAwait(false);
                    return new RequestBody(raw, drained ? BodyStatus.TooLarge : BodyStatus.Abandoned);
                }

                var read = await body.ReadAsync(space, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                raw.Length += read;
            }
        }
        catch
        {
            raw.Dispose();
            throw;
        }

        var result = new RequestBody(raw, supported ? BodyStatus.Complete : BodyStatus.UnsupportedEncoding) { _maxBodyBytes = maxBodyBytes };
        if (gzip)
        {
            result.Inflate();
        }

        return result;
    }

    /// <summary>Reads up to <paramref name="count"/> bytes, at least one if the client sent any: what a dropped connection saw.</summary>
    public static async Task<PooledBytes> ReadSomeAsync(Stream body, int count, CancellationToken cancellationToken)
    {
        var raw = new PooledBytes(count);
        try
        {
            raw.Length = await body.ReadAsync(raw.Array.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            return raw;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _decoded?.Dispose();
        Raw.Dispose();
    }

    private void Inflate()
    {
        var decoded = new PooledBytes(Math.Min((Raw.Length * 8) + 1024, _maxBodyBytes + 1));
        _decoded = decoded;
        try
        {
            using var source = new MemoryStream(Raw.Array, 0, Raw.Length, writable: false);
            using var inflater = new GZipStream(source, CompressionMode.Decompress);
            while (true)
            {
                // Inflating stops one byte past the limit: a gzip bomb costs at most that much memory.
                var space = decoded.FreeSpace(_maxBodyBytes + 1);
                if (space.IsEmpty)
                {
                    Status = BodyStatus.TooLarge;
                    return;
                }

                var read = inflater.Read(space.Span);
                if (read == 0)
                {
                    return;
                }

                decoded.Length += read;
            }
        }
        catch (InvalidDataException)
        {
            Status = BodyStatus.CorruptEncoding;
        }
    }

    private static async Task<bool> DrainAsync(Stream body, CancellationToken cancellationToken)
    {
        var scratch = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long drained = 0;
            while (drained < IngestionLimits.MaxDrainBytes)
            {
                var read = await body.ReadAsync(scratch, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return true;
                }

                drained += read;
            }

            return false;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
