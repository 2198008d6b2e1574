using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The process is killed at random moments while it tracks, writes and sends, and restarted on the same directory:
/// every event it reported durable still reaches Mixpanel, exactly once.
/// </summary>
public sealed class KillTests(ITestOutputHelper output)
{
    private const int Kills = 24;

    // Each run tracks numbers from its own range, so a number is never tracked twice.
    private const long RunStride = 1_000_000;

    [Fact]
    public async Task Track_KilledAtRandomMomentsAndRestarted_DeliversEveryDurableEventExactlyOnce()
    {
        using var directory = new TempDirectory();
        await using var server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = "kill-test-token" });
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        var durable = new List<long>();

        for (var run = 0; run < Kills; run++)
        {
            // Kill after a random number of durable reports: sometimes at once, sometimes mid-stream.
            var reports = random.Next(0, 6);
            durable.AddRange(await RunAndKillAsync(directory.Path, server, run * RunStride, reports));
        }

        var final = await RunToEndAsync(directory.Path, server, Kills * RunStride);
        output.WriteLine(final);

        final.Should().StartWith("clean ").And.Contain("queued=0");
        var received = server.DeduplicatedRecords.Where(r => r.EventName == "Numbered")
            .Select(r => (N: r.Properties.GetProperty("n").GetInt64(), r.InsertId)).ToList();
        received.Select(r => r.N).Should().OnlyHaveUniqueItems("no number arrives under two different $insert_ids");
        received.Select(r => r.N).Should().Contain(durable, "every event reported durable is delivered");
        durable.Should().NotBeEmpty();
        output.WriteLine($"durable {durable.Count}, delivered {received.Count}, requests {server.ReceivedRequestCount}");
    }

    private static async Task<List<long>> RunAndKillAsync(string directory, LocalMixpanelServer server, long first, int reports)
    {
        using var process = Start(directory, server, first, "track");
        var durable = new List<long>();
        while (durable.Count < reports && await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("durable ", StringComparison.Ordinal))
            {
                durable.Add(long.Parse(line["durable ".Length..], CultureInfo.InvariantCulture));
            }
        }

        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();

        // Every event up to the last reported number was durable.
        return durable.Count == 0 ? [] : [.. Enumerable.Range(0, (int)(durable[^1] - first + 1)).Select(i => first + i)];
    }

    private static async Task<string> RunToEndAsync(string directory, LocalMixpanelServer server, long first)
    {
        using var process = Start(directory, server, first, "deliver");
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, stderr);
        return stdout.Trim();
    }

    private static Process Start(string directory, LocalMixpanelServer server, long first, string mode)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(AppPath());
        info.ArgumentList.Add(directory);
        info.ArgumentList.Add(server.BaseAddress.ToString());
        info.ArgumentList.Add(first.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(mode);
        return Process.Start(info) ?? throw new InvalidOperationException("The crash-test app did not start.");
    }

    private static string AppPath()
    {
        // tests/Mixpanel.Identity.Tests/bin/<configuration>/net10.0 → tests/Mixpanel.Identity.KillTestApp/bin/<configuration>/net10.0
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = typeof(KillTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var testsRoot = testOutput.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(testsRoot, "Mixpanel.Identity.KillTestApp", "bin", configuration, testOutput.Name, "Mixpanel.Identity.KillTestApp.dll");
        File.Exists(path).Should().BeTrue($"the crash-test app is built beside the tests ({path})");
        return path;
    }
}
