using System.IO.Compression;
using System.Text.Json;
using Mixpanel.Identity.Users;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>The one event every figure measures: "Viewed Item" with 5 properties of its own and 3 super properties.</summary>
internal static class BenchmarkEvents
{
    public const string Token = "benchmark-token";
    public const string EventName = "Viewed Item";

    /// <summary>Distinct item ids the end-to-end runs cycle through, so batches compress like real ones rather than like copies.</summary>
    public static readonly string[] ItemIds = [.. Enumerable.Range(0, 1000).Select(static i => "sku-" + (100_000 + (i * 7919 % 900_000)))];

    /// <summary>A typical call: a string id, a price, a count, a category and a flag.</summary>
    public static Dictionary<string, object?> CallProperties() => new(StringComparer.Ordinal)
    {
        ["item_id"] = ItemIds[0],
        ["price"] = 19.99,
        ["quantity"] = 2,
        ["category"] = "books",
        ["in_stock"] = true,
    };

    public static Dictionary<string, object?> SuperProperties() => new(StringComparer.Ordinal)
    {
        ["plan"] = "pro",
        ["app_version"] = "3.2.1",
        ["locale"] = "en-GB",
    };

    /// <summary>
    /// Request bodies exactly as the client sends them: <paramref name="batchSize"/> events per batch, written by the client's
    /// own serializer (so each has its own <c>$insert_id</c> and the same properties, identity and automatic properties),
    /// then gzipped at the level the client uses.
    /// </summary>
    public static byte[][] GzippedBatches(int count, int batchSize)
    {
        var serializer = new RecordSerializer(Token, LibraryInfo.Current);
        var identity = IdentityState.CreateNew(IdentityState.NewDeviceId()).WithSuperProperties(PropertyValues.Snapshot(SuperProperties(), "properties"));
        var properties = CallProperties();
        var body = new ByteBuffer();
        using var writer = new Utf8JsonWriter(body, JsonValues.WriterOptions);
        var batches = new byte[count][];
        var n = 0;
        for (var b = 0; b < count; b++)
        {
            body.Clear();
            body.WriteByte((byte)'[');
            for (var i = 0; i < batchSize; i++)
            {
                if (i > 0)
                {
                    body.WriteByte((byte)',');
                }

                properties["item_id"] = ItemIds[n++ % ItemIds.Length];
                var record = new EventRecord(
                    EventName, PropertyValues.Snapshot(properties, "properties"), identity.ForEvents, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null);
                writer.Reset(body);
                serializer.Write(writer, record);
                writer.Flush();
            }

            body.WriteByte((byte)']');
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(body.WrittenSpan);
            }

            batches[b] = compressed.ToArray();
        }

        return batches;
    }
}
