using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.JavaScript;
using Mixpanel.Identity.Tests.Fakes;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>Runs the crash-test app (tests/Mixpanel.Identity.KillTestApp) as a separate process, and kills it.</summary>
internal static class KillTestApp
{
    /// <summary>The project token the app sends with (see its Program.cs).</summary>
    public const string Token = "kill-test-token";

    /// <summary>A local Mixpanel server for the app's token.</summary>
    public static Task<LocalMixpanelServer> StartServerAsync() =>
        LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token });

    /// <summary>The <c>n</c> property of every event the app delivered, once per event as Mixpanel keeps it.</summary>
    public static List<long> DeliveredNumbers(LocalMixpanelServer server) =>
        [.. server.DeduplicatedRecords.Where(r => r.EventName == "Numbered").Select(r => r.Properties.GetProperty("n").GetInt64())];

    /// <summary>
    /// Starts the app tracking from <paramref name="first"/>, kills it after <paramref name="reports"/> durable reports,
    /// and returns the device id it reported and every number it had made durable.
    /// </summary>
    public static async Task<(string Device, List<long> Durable)> RunAndKillAsync(string directory, LocalMixpanelServer server, long first, int reports)
    {
        using var process = Start(directory, server, first, "track");
        var announced = await process.StandardOutput.ReadLineAsync() ?? "";
        announced.Should().StartWith("device ", "the app says which device it is before it tracks");
        var device = announced["device ".Length..];
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
        return (device, durable.Count == 0 ? [] : [.. Enumerable.Range(0, (int)(durable[^1] - first + 1)).Select(i => first + i)]);
    }

    /// <summary>Starts the app in <paramref name="mode"/> (by default, to deliver whatever earlier runs left) and returns what it printed.</summary>
    public static async Task<string> RunToEndAsync(
        string directory, LocalMixpanelServer server, long first, string mode = "deliver", IReadOnlyDictionary<string, string?>? environment = null)
    {
        // The bound is a safety net so that an app that never exits fails the test instead of hanging it; never an
        // assertion on time.
        var run = await ChildProcess.RunAsync(
            Environment.ProcessPath ?? "dotnet", Arguments(directory, server, first, mode), AppContext.BaseDirectory, TimeSpan.FromSeconds(60), environment);
        run.ExitCode.Should().Be(0, run.ToString());
        return run.StandardOutput.Trim();
    }

    private static Process Start(string directory, LocalMixpanelServer server, long first, string mode)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments(directory, server, first, mode))
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("The crash-test app did not start.");
    }

    private static string[] Arguments(string directory, LocalMixpanelServer server, long first, string mode) =>
        [AppPath(), directory, server.BaseAddress.ToString(), first.ToString(CultureInfo.InvariantCulture), mode];

    private static string AppPath()
    {
        // Built beside the tests: tests/Mixpanel.Identity.KillTestApp/bin/<configuration>/<framework>, the framework's folder named as the tests' own.
        var framework = Path.GetFileName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = typeof(KillTestApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = RepositoryPaths.Combine("tests", "Mixpanel.Identity.KillTestApp", "bin", configuration, framework, "Mixpanel.Identity.KillTestApp.dll");
        File.Exists(path).Should().BeTrue($"the crash-test app is built beside the tests ({path})");
        return path;
    }
}
