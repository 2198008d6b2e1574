using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>What <c>Track</c> cost while the disk was full, and what became of the events.</summary>
internal readonly record struct DiskFullResult(long Calls, TimeSpan Period, double MeanNanoseconds, TimeSpan Longest, long Dropped, long Delivered, int WarningLines);

/// <summary>
/// <c>Track</c> called unpaced, call by call timed, for a period during which the client's storage disk is full: a
/// tmpfs of its own, filled to the last page once the client has started on it. Then the disk is freed and what the
/// client kept is delivered. Only root on Linux can mount the tmpfs; elsewhere the run says so and measures nothing.
/// </summary>
internal static class DiskFull
{
    private const int DiskKilobytes = 16 * 1024;

    public static async Task<DiskFullResult?> RunAsync(TimeSpan period)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || Environment.UserName != "root")
        {
            Console.WriteLine($"Disk full: NOT RUN, a small tmpfs can be mounted only by root on Linux (this is {RuntimeInformation.OSDescription}, user {Environment.UserName}).");
            return null;
        }

        var mountPoint = Directory.CreateTempSubdirectory("mixpanel-full-").FullName;
        if (Run("mount", "-t", "tmpfs", "-o", $"size={DiskKilobytes}k,mode=0700", "tmpfs", mountPoint) is { Length: > 0 } error)
        {
            Console.WriteLine($"Disk full: NOT RUN, mounting a tmpfs failed ({error}).");
            Directory.Delete(mountPoint);
            return null;
        }

        try
        {
            var storage = Path.Combine(mountPoint, "storage");
            Directory.CreateDirectory(storage);
            File.SetUnixFileMode(storage, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await using var server = await LocalMixpanelServer.StartAsync(EndToEnd.ServerOptions());
            var warnings = new WarningCounter();
            using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(warnings));
            var client = new MixpanelClient(
                new MixpanelOptions { ProjectToken = BenchmarkEvents.Token, ApiHost = server.BaseAddress, StorageDirectory = storage },
                loggerFactory: loggerFactory);
            await using (client)
            {
                client.Register(BenchmarkEvents.SuperProperties());
                client.Track("Before The Disk Filled");
                await client.FlushAsync();
                var filler = Fill(mountPoint);
                Console.WriteLine($"  the disk is full; Track for {period.TotalSeconds:F0} s");

                var properties = BenchmarkEvents.CallProperties();
                long calls = 0, total = 0, longest = 0;
                var end = Stopwatch.GetTimestamp() + (long)(period.TotalSeconds * Stopwatch.Frequency);
                while (Stopwatch.GetTimestamp() < end)
                {
                    for (var i = 0; i < 1000; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        client.Track(BenchmarkEvents.EventName, properties);
                        var took = Stopwatch.GetTimestamp() - start;
                        total += took;
                        longest = Math.Max(longest, took);
                    }

                    calls += 1000;
                }

                File.Delete(filler);
                Console.WriteLine($"  the disk is free again after {calls:N0} calls; delivering what was kept");
                var diagnostics = client.Diagnostics;
                using (var patience = new CancellationTokenSource(TimeSpan.FromMinutes(1)))
                {
                    try
                    {
                        await client.FlushAsync(patience.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new InvalidOperationException($"The client did not deliver what it kept within a minute of the disk's return: {diagnostics}.");
                    }
                }

                if (diagnostics.Sent + diagnostics.Dropped != diagnostics.Accepted)
                {
                    throw new InvalidOperationException($"Events unaccounted for: {diagnostics}.");
                }

                return new DiskFullResult(
                    calls,
                    period,
                    total * (1e9 / Stopwatch.Frequency) / calls,
                    Stopwatch.GetElapsedTime(0, longest),
                    diagnostics.Dropped,
                    server.AcceptedRecordCount - 1,
                    warnings.Count);
            }
        }
        finally
        {
            Run("umount", "-l", mountPoint);
            Directory.Delete(mountPoint, recursive: true);
        }
    }

    /// <summary>Writes a file that takes every free page left on the disk.</summary>
    private static string Fill(string mountPoint)
    {
        var filler = Path.Combine(mountPoint, "filler");
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        var page = new byte[4096];
        try
        {
            while (true)
            {
                stream.Write(page);
            }
        }
        catch (IOException)
        {
            // Full.
        }

        return filler;
    }

    private static string Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? "" : error.Trim();
    }

    /// <summary>Counts the warning lines the client logs.</summary>
    private sealed class WarningCounter : ILoggerProvider, ILogger
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                Interlocked.Increment(ref _count);
            }
        }

        public void Dispose()
        {
        }
    }
}
