using System.Diagnostics;
using System.Net.Http.Headers;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>What one end-to-end run delivered, how fast, and what it lost.</summary>
internal readonly record struct EndToEndResult(
    long Events, TimeSpan Elapsed, TimeSpan Cpu, long Dropped, long Retried, long ServerRejected, TimeSpan LongestTrack = default, TimeSpan Tracked = default, long SentWhenTracked = 0)
{
    public double EventsPerSecond => Events / Elapsed.TotalSeconds;

    /// <summary>Events delivered per second once the last <c>Track</c> had returned: the sender with the cores to itself.</summary>
    public double SentPerSecondAfterTracking => (Events - SentWhenTracked) / (Elapsed - Tracked).TotalSeconds;

    /// <summary>The whole process's CPU time (client, server and all) over the run, per event.</summary>
    public TimeSpan CpuPerEvent => Cpu / Events;
}

/// <summary>
/// Events from <c>Track</c> to acknowledgement by the local server (in this process, validating and counting only), against
/// a plain <see cref="HttpClient"/> posting the same events, pre-serialized and pre-gzipped, in batches of the same size.
/// </summary>
internal static class EndToEnd
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    public static LocalMixpanelServerOptions ServerOptions() => new() { ProjectToken = BenchmarkEvents.Token, RetainRecords = false };

    /// <summary>Tracks <paramref name="events"/> events on one thread with a client using disk storage and default options.</summary>
    public static async Task<EndToEndResult> RunClientAsync(LocalMixpanelServer server, int events)
    {
        var directory = Directory.CreateTempSubdirectory("mixpanel-e2e-").FullName;
        try
        {
            // Default options but for the bounds, which are the app's to set: at least the burst, so nothing may be dropped.
            var options = new MixpanelOptions
            {
                ProjectToken = BenchmarkEvents.Token,
                ApiHost = server.BaseAddress,
                StorageDirectory = directory,
                MaxQueueSize = events,
                MaxQueueBytes = events * 1024L,
            };
            await using var client = new MixpanelClient(options);
            client.Register(BenchmarkEvents.SuperProperties());
            var diagnostics = client.Diagnostics;
            var acceptedBefore = server.AcceptedRecordCount;
            var rejectedBefore = server.RejectedRecordCount;

            var cpu = CpuTime();
            var watch = Stopwatch.StartNew();
            var longestTrack = TimeSpan.Zero;
            await Task.Factory.StartNew(
                () =>
                {
                    // As fast as it goes: no pacing. The longest a Track call waited for the writer is noted.
                    var properties = BenchmarkEvents.CallProperties();
                    var ids = BenchmarkEvents.ItemIds;
                    var call = Stopwatch.StartNew();
                    for (var i = 0; i < events; i++)
                    {
                        properties["item_id"] = ids[i % ids.Length];
                        var before = call.ElapsedTicks;
                        client.Track(BenchmarkEvents.EventName, properties);
                        var took = call.ElapsedTicks - before;
                        if (took > longestTrack.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond)
                        {
                            longestTrack = TimeSpan.FromSeconds(took / (double)Stopwatch.Frequency);
                        }
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
            // The run's two phases: the burst, stored as fast as it comes, then the sender alone.
            var tracked = watch.Elapsed;
            var sentWhenTracked = diagnostics.Sent;
            using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(10)))
            {
                await client.FlushAsync(patience.Token).ConfigureAwait(false);
            }

            watch.Stop();
            cpu = CpuTime() - cpu;

            var delivered = server.AcceptedRecordCount - acceptedBefore;
            if (delivered != events || diagnostics.Sent != events)
            {
                throw new InvalidOperationException(
                    $"The client delivered {delivered} of {events} events (sent {diagnostics.Sent}, dropped {diagnostics.Dropped}).");
            }

            return new EndToEndResult(events, watch.Elapsed, cpu, diagnostics.Dropped, diagnostics.Retried, server.RejectedRecordCount - rejectedBefore, longestTrack, tracked, sentWhenTracked);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Posts <paramref name="events"/> events as <paramref name="batches"/> (cycled: the server counts and does not
    /// deduplicate) to <paramref name="pathAndQuery"/>, with <paramref name="inFlight"/> requests at a time, as the client has,
    /// each with <paramref name="authorization"/> if given.
    /// </summary>
    public static async Task<EndToEndResult> RunReferenceAsync(
        LocalMixpanelServer server,
        int events,
        byte[][] batches,
        int batchSize,
        int inFlight,
        string pathAndQuery = "track?ip=1&verbose=1",
        AuthenticationHeaderValue? authorization = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Authorization = authorization;
        var uri = new Uri(server.BaseAddress, pathAndQuery);
        var requests = events / batchSize;
        var next = -1;
        var acceptedBefore = server.AcceptedRecordCount;
        var rejectedBefore = server.RejectedRecordCount;

        var cpu = CpuTime();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
        {
            int request;
            while ((request = Interlocked.Increment(ref next)) < requests)
            {
                var batch = batches[request % batches.Length];
                await PostGzippedAsync(http, uri, new ArraySegment<byte>(batch)).ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);
        watch.Stop();
        cpu = CpuTime() - cpu;

        var delivered = server.AcceptedRecordCount - acceptedBefore;
        if (delivered != (long)requests * batchSize)
        {
            throw new InvalidOperationException($"The reference delivered {delivered} of {requests * batchSize} events.");
        }

        return new EndToEndResult(delivered, watch.Elapsed, cpu, 0, 0, server.RejectedRecordCount - rejectedBefore);
    }

    /// <summary>Posts a gzipped JSON body and reads the answer, which must be a success.</summary>
    public static async Task PostGzippedAsync(HttpClient http, Uri uri, ArraySegment<byte> body)
    {
        using var content = new ByteArrayContent(body.Array!, body.Offset, body.Count);
        content.Headers.ContentType = JsonContentType;
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await http.PostAsync(uri, content).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
    }

    public static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
