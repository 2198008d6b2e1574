using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// The local server's own limits, on top of Mixpanel's (<see cref="MixpanelLimits"/>, shared with the client): they
/// bound what the server reads, which the client never needs to.
/// </summary>
internal static class IngestionLimits
{
    // Every endpoint holds to Mixpanel's request limit, so a client that passes this server passes Mixpanel; /import takes more.
    public static int MaxBodyBytes(bool import) => import ? MixpanelLimits.MaxImportRequestBytes : MixpanelLimits.MaxRequestBytes;

    // Deflate grows incompressible input by 5 bytes per 64 KiB stored block plus an 18-byte gzip frame, so a compressed body
    // larger than this cannot decompress to the limit or less: reading stops there without inflating anything.
    public static int MaxCompressedBodyBytes(int maxBodyBytes) => maxBodyBytes + (maxBodyBytes / 32) + (64 * 1024);

    // A client sending a body far beyond the limit gets its connection closed rather than being read forever.
    public const long MaxDrainBytes = 64L * 1024 * 1024;
}
