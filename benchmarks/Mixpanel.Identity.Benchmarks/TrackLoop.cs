using System.Diagnostics;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>What one plain loop of <c>Track</c> calls saw: the mean call and the longest one.</summary>
internal readonly record struct TrackLoopResult(StorageMode Storage, int Calls, double MeanNanoseconds, TimeSpan Longest, double ReferenceMeanNanoseconds);

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
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < calls; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    client.Track(BenchmarkEvents.EventName, properties);
                    var took = Stopwatch.GetTimestamp() - start;
                    total += took;
                    longest = Math.Max(longest, took);
                }

                await client.FlushAsync();
            }

            var reference = Reference(properties, calls, rounds);
            return new TrackLoopResult(storage, calls * rounds, Nanoseconds(total) / (calls * rounds), Stopwatch.GetElapsedTime(0, longest), reference);
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
