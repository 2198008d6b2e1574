using System.Diagnostics;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>What one plain loop of <c>Track</c> calls saw: the mean call and the longest one.</summary>
internal readonly record struct TrackLoopResult(StorageMode Storage, int Calls, double MeanNanoseconds, TimeSpan Longest, double ReferenceMeanNanoseconds)
{
    /// <summary>The longest call during which no garbage collection ran.</summary>
    public TimeSpan LongestWithoutCollection { get; init; }

    /// <summary>Calls over a millisecond.</summary>
    public int OverOneMillisecond { get; init; }

    /// <summary>Collections (gen 0, 1, 2) and their pauses during the timed calls, and lock contentions.</summary>
    public string Runtime { get; init; } = "";
}

/// <summary>
/// <c>Track</c> timed call by call in a plain loop, beside the benchmark's reference in the same loop shape: the mean
/// hides nothing a statistics package would smooth away, and the longest call is the one an app's frame would feel.
/// The client delivers to a local server as it would in an app: nothing is held back, nothing paced.
/// </summary>
internal static class TrackLoop
{
    public static async Task<TrackLoopResult> RunAsync(StorageMode storage, int calls, int rounds)
    {
        await using var server = await LocalMixpanelServer.StartAsync(EndToEnd.ServerOptions());
        var directory = Directory.CreateTempSubdirectory("mixpanel-loop-").FullName;
        var properties = BenchmarkEvents.CallProperties();
        try
        {
            await using var client = new MixpanelClient(new MixpanelOptions
            {
                ProjectToken = BenchmarkEvents.Token,
                ApiHost = server.BaseAddress,
                StorageDirectory = directory,
                Storage = storage,
            });
            client.Register(BenchmarkEvents.SuperProperties());

            // Warm-up, not measured: the JIT tiers the hot code up meanwhile.
            for (var i = 0; i < 10 * calls; i++)
            {
                client.Track(BenchmarkEvents.EventName, properties);
            }

            await client.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(1));

            long total = 0;
            long longest = 0;
            long longestWithoutCollection = 0;
            var overOneMillisecond = 0;
            var oneMillisecond = Stopwatch.Frequency / 1000;
            var collections = (Gen0: GC.CollectionCount(0), Gen1: GC.CollectionCount(1), Gen2: GC.CollectionCount(2));
            var paused = GC.GetTotalPauseDuration();
            var contentions = Monitor.LockContentionCount;
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < calls; i++)
                {
                    var before = GC.CollectionCount(0);
                    var start = Stopwatch.GetTimestamp();
                    client.Track(BenchmarkEvents.EventName, properties);
                    var took = Stopwatch.GetTimestamp() - start;
                    total += took;
                    longest = Math.Max(longest, took);
                    if (GC.CollectionCount(0) == before)
                    {
                        longestWithoutCollection = Math.Max(longestWithoutCollection, took);
                    }

                    if (took > oneMillisecond)
                    {
                        overOneMillisecond++;
                    }
                }

                await client.FlushAsync();
            }

            var runtime = string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"collections {GC.CollectionCount(0) - collections.Gen0}/{GC.CollectionCount(1) - collections.Gen1}/{GC.CollectionCount(2) - collections.Gen2} pausing {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms, {Monitor.LockContentionCount - contentions} lock contentions");
            var reference = Reference(properties, calls, rounds);
            return new TrackLoopResult(storage, calls * rounds, Nanoseconds(total) / (calls * rounds), Stopwatch.GetElapsedTime(0, longest), reference)
            {
                LongestWithoutCollection = Stopwatch.GetElapsedTime(0, longestWithoutCollection),
                OverOneMillisecond = overOneMillisecond,
                Runtime = runtime,
            };
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The benchmark's reference (copy the properties, enqueue the copy) timed in the same loop.</summary>
    private static double Reference(Dictionary<string, object?> properties, int calls, int rounds)
    {
        var queue = new System.Collections.Concurrent.ConcurrentQueue<Dictionary<string, object?>>();
        long total = 0;
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < calls; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var copy = new Dictionary<string, object?>(properties.Count, StringComparer.Ordinal);
                foreach (var property in properties)
                {
                    copy[property.Key] = property.Value;
                }

                queue.Enqueue(copy);
                total += Stopwatch.GetTimestamp() - start;
            }

            queue.Clear();
        }

        return Nanoseconds(total) / (calls * rounds);
    }

    private static double Nanoseconds(long ticks) => ticks * (1e9 / Stopwatch.Frequency);
}
