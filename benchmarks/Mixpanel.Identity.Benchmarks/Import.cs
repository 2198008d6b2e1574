using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>
/// Historical events through <see cref="MixpanelServerClient.ImportAsync"/> to the local server's <c>/import</c>, against a
/// plain <see cref="HttpClient"/> posting the same kind of events, pre-serialized and pre-gzipped, in requests of the
/// same size with as many on the wire at once: the ceiling of the wire and the server. Both start from what they send
/// already in memory, made before the clock starts: the reference from its request bodies, the import from the events
/// (as many distinct ones as the reference's bodies hold, cycled as those are).
/// </summary>
internal static class Import
{
    public const string Secret = "benchmark-secret";
    private const int RequestSize = 2_000;
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static LocalMixpanelServerOptions ServerOptions()
    {
        var options = EndToEnd.ServerOptions();
        options.ApiSecret = Secret;
        return options;
    }

    public static async Task<EndToEndResult> RunClientAsync(LocalMixpanelServer server, int events, MixpanelImportEvent[] pool)
    {
        var options = new MixpanelOptions
        {
            ProjectToken = BenchmarkEvents.Token,
            ApiHost = server.BaseAddress,
            ApiSecret = Secret,
            Storage = StorageMode.Memory,
        };
        await using var client = new MixpanelServerClient(options);
        var acceptedBefore = server.AcceptedRecordCount;
        var cpu = EndToEnd.CpuTime();
        var watch = Stopwatch.StartNew();
        var result = await client.ImportAsync(History(events, pool)).ConfigureAwait(false);
        watch.Stop();
        cpu = EndToEnd.CpuTime() - cpu;
        var delivered = server.AcceptedRecordCount - acceptedBefore;
        if (result.Imported != events || delivered != events)
        {
            throw new InvalidOperationException($"The import delivered {delivered} of {events} events ({result.Rejected} rejected).");
        }

        return new EndToEndResult(delivered, watch.Elapsed, cpu, 0, 0, result.Rejected);
    }

    /// <summary>
    /// The floor of the importer here: the same events written by its writer with the same derived insert ids, gzipped
    /// at the same level and posted <see cref="Delivery.BulkImporter.Concurrency"/> at a time, and nothing else (no
    /// limit checked, no answer read but its status, no retry, no failure listed).
    /// </summary>
    public static async Task<EndToEndResult> RunBareAsync(LocalMixpanelServer server, int events, MixpanelImportEvent[] pool)
    {
        using var http = new HttpClient(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = Authorization;
        var uri = new Uri(server.BaseAddress, "import?strict=1");
        var free = new ConcurrentStack<(ByteBuffer Json, MemoryStream Gzipped)>();
        var inFlight = new List<Task>(Delivery.BulkImporter.Concurrency);
        using var writer = new Delivery.ImportEventWriter();
        var acceptedBefore = server.AcceptedRecordCount;

        var cpu = EndToEnd.CpuTime();
        var watch = Stopwatch.StartNew();
        for (var n = 0; n < events;)
        {
            var (json, gzipped) = free.TryPop(out var spare) ? spare : (new ByteBuffer(1 << 20), new MemoryStream(1 << 18));
            json.Clear();
            json.WriteByte((byte)'[');
            for (var i = 0; i < RequestSize && n < events; i++, n++)
            {
                if (i > 0)
                {
                    json.WriteByte((byte)',');
                }

                writer.Write(json, pool[n % pool.Length]);
            }

            json.WriteByte((byte)']');
            if (inFlight.Count == Delivery.BulkImporter.Concurrency)
            {
                var done = await Task.WhenAny(inFlight).ConfigureAwait(false);
                inFlight.Remove(done);
                await done.ConfigureAwait(false);
            }

            inFlight.Add(Task.Run(async () =>
            {
                gzipped.SetLength(0);
                using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true))
                {
                    gzip.Write(json.Array, 0, json.Length);
                }

                await EndToEnd.PostGzippedAsync(http, uri, new ArraySegment<byte>(gzipped.GetBuffer(), 0, (int)gzipped.Length)).ConfigureAwait(false);
                free.Push((json, gzipped));
            }));
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
        watch.Stop();
        cpu = EndToEnd.CpuTime() - cpu;
        var delivered = server.AcceptedRecordCount - acceptedBefore;
        if (delivered != events)
        {
            throw new InvalidOperationException($"The bare importer delivered {delivered} of {events} events.");
        }

        return new EndToEndResult(delivered, watch.Elapsed, cpu, 0, 0, 0);
    }

    /// <summary>Posts the bodies (cycled) to <c>/import</c> with the project's secret, <see cref="Delivery.BulkImporter.Concurrency"/> requests at a time.</summary>
    public static Task<EndToEndResult> RunReferenceAsync(LocalMixpanelServer server, int events, byte[][] bodies) =>
        EndToEnd.RunReferenceAsync(
            server,
            events,
            bodies,
            RequestSize,
            Delivery.BulkImporter.Concurrency,
            "import?strict=1",
            Authorization);

    private static AuthenticationHeaderValue Authorization => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret + ":")));

    /// <summary>Request bodies of <see cref="RequestSize"/> events as <c>/import</c> takes them, gzipped.</summary>
    public static byte[][] GzippedBodies(int count)
    {
        var bodies = new byte[count][];
        var n = 0;
        for (var b = 0; b < count; b++)
        {
            var records = new List<object>(RequestSize);
            for (var i = 0; i < RequestSize; i++, n++)
            {
                var properties = Properties(n);
                properties["time"] = Start.AddSeconds(n).ToUnixTimeMilliseconds();
                properties["distinct_id"] = DistinctId(n);
                properties["$insert_id"] = Guid.NewGuid().ToString("N");
                records.Add(new Dictionary<string, object?> { ["event"] = BenchmarkEvents.EventName, ["properties"] = properties });
            }

            var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
            {
                JsonSerializer.Serialize(gzip, records);
            }

            bodies[b] = compressed.ToArray();
        }

        return bodies;
    }

    /// <summary>The events the import cycles through: as many as <paramref name="bodies"/> request bodies hold.</summary>
    public static MixpanelImportEvent[] EventPool(int bodies) =>
        [.. Enumerable.Range(0, bodies * RequestSize).Select(static n => new MixpanelImportEvent(BenchmarkEvents.EventName, DistinctId(n), Start.AddSeconds(n), Properties(n)))];

    private static async IAsyncEnumerable<MixpanelImportEvent> History(int events, MixpanelImportEvent[] pool)
    {
        for (var n = 0; n < events; n++)
        {
            yield return pool[n % pool.Length];
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>The end-to-end event's properties, its super properties among them, as an app exporting its history has them.</summary>
    private static Dictionary<string, object?> Properties(int n)
    {
        var properties = BenchmarkEvents.CallProperties();
        foreach (var pair in BenchmarkEvents.SuperProperties())
        {
            properties[pair.Key] = pair.Value;
        }

        properties["item_id"] = BenchmarkEvents.ItemIds[n % BenchmarkEvents.ItemIds.Length];
        return properties;
    }

    private static string DistinctId(int n) => "user-" + (n % 10_000);
}
