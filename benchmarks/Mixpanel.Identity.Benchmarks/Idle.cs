using System.Runtime.InteropServices;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>
/// What an idle client costs a battery: the context switches of the whole process over a quiet period with a client
/// that has tracked nothing, against the same period with only an <see cref="HttpClient"/> alive (the reference),
/// both in this process. Linux: <c>getrusage(RUSAGE_SELF)</c>, which counts every thread, ended ones included.
/// </summary>
internal static partial class Idle
{
    public static async Task<(long Client, long Reference)> MeasureAsync(TimeSpan period)
    {
        using var http = new HttpClient();
        var before = ContextSwitches();
        await Task.Delay(period).ConfigureAwait(false);
        var reference = ContextSwitches() - before;

        var directory = Directory.CreateTempSubdirectory("mixpanel-idle-").FullName;
        try
        {
            await using var client = new MixpanelClient(
                new MixpanelOptions { ProjectToken = BenchmarkEvents.Token, StorageDirectory = directory, ApiHost = new Uri("http://127.0.0.1:9/") },
                http);

            // Started and settled: the loop has opened its queue and gone to sleep.
            await client.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            before = ContextSwitches();
            await Task.Delay(period).ConfigureAwait(false);
            return (ContextSwitches() - before, reference);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static long ContextSwitches()
    {
        // struct rusage on 64-bit Linux: two timevals, then fourteen longs; ru_nvcsw and ru_nivcsw are the last two.
        var usage = new long[18];
        return GetResourceUsage(0, usage) == 0 ? usage[16] + usage[17] : -1;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetResourceUsage(int who, [Out] long[] usage);
}
