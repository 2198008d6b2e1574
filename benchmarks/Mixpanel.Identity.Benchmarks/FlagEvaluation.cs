using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>
/// One local evaluation of a feature flag through <c>MixpanelServerClient.Flags.GetVariant</c> (no exposure), with and
/// without a runtime rule, beside Mixpanel's official node library evaluating the same definitions for the same
/// context (<c>tests/js/mixpanel-flags-evaluator.js</c>) in the same run.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet's [GlobalCleanup] disposes the client and server.
public class FlagEvaluation
#pragma warning restore CA1001
{
    public const string Definitions = """
        {"flags": [
          {"id": "1", "name": "plain", "key": "plain", "status": "active", "project_id": 1, "context": "distinct_id", "hash_salt": "s4lt",
           "ruleset": {"variants": [{"key": "control", "value": false, "split": 0.5}, {"key": "on", "value": true, "split": 0.5}],
                       "rollout": [{"rollout_percentage": 1.0}]}},
          {"id": "2", "name": "ruled", "key": "ruled", "status": "active", "project_id": 1, "context": "distinct_id", "hash_salt": "s4lt",
           "ruleset": {"variants": [{"key": "control", "value": false, "split": 0.5}, {"key": "on", "value": true, "split": 0.5}],
                       "rollout": [{"rollout_percentage": 1.0, "runtime_evaluation_rule": {"and": [
                         {"==": [{"var": "plan"}, "Premium"]},
                         {"semver_compare": [{"var": "app_version"}, ">=", "2.1.0"]},
                         {"in": [{"var": "country"}, ["DE", "FR", "US"]]}]}}]}}
        ]}
        """;

    private LocalMixpanelServer? _server;
    private MixpanelServerClient? _client;
    private MixpanelFlagContext _context = null!;

    public static MixpanelFlagContext Context()
    {
        var context = new MixpanelFlagContext("user-4f1c2a") { DeviceId = "7b0e4c1d" };
        context.CustomProperties["plan"] = "premium";
        context.CustomProperties["app_version"] = "2.3.1";
        context.CustomProperties["country"] = "de";
        context.CustomProperties["seats"] = 12;
        context.CustomProperties["beta"] = true;
        return context;
    }

    [GlobalSetup]
    public void Setup()
    {
        _server = LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = "bench" }).GetAwaiter().GetResult();
        _server.SetFlagDefinitions(Definitions);
        _client = new MixpanelServerClient(new MixpanelOptions { ProjectToken = "bench", ApiHost = _server.BaseAddress, Storage = StorageMode.Memory });
        _client.Flags.WhenReadyAsync().GetAwaiter().GetResult();
        _context = Context();
        if (_client.Flags.GetVariant("ruled", _context, reportExposure: false).Source != MixpanelFlagSource.Local)
        {
            throw new InvalidOperationException("The rule should admit the benchmark's context.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public MixpanelFlagVariant WithoutRule() => _client!.Flags.GetVariant("plain", _context, reportExposure: false);

    [Benchmark]
    public MixpanelFlagVariant WithRule() => _client!.Flags.GetVariant("ruled", _context, reportExposure: false);

    /// <summary>Runs both sides and prints ns and bytes per evaluation, and the ratios to node's.</summary>
    public static async Task RunAsync(bool quick)
    {
        var job = quick ? Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10) : Job.Default;
        var summary = BenchmarkRunner.Run<FlagEvaluation>(DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableLogFile));
        var node = await RunNodeAsync(quick ? 200_000 : 1_000_000);
        Console.WriteLine();
        Console.WriteLine("One local flag evaluation:");
        foreach (var (method, key) in new[] { (nameof(WithoutRule), "plain"), (nameof(WithRule), "ruled") })
        {
            var report = summary.Reports.Single(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
            var ns = report.ResultStatistics!.Mean;
            var bytes = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key,-6} ours {ns,8:F0} ns {bytes,6} B   node {node[key],8:F0} ns   ratio {ns / node[key]:F2}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flags_{key}_ns={ns:F0} flags_{key}_bytes={bytes} flags_{key}_node_ns={node[key]:F0} flags_{key}_ratio={ns / node[key]:F2}"));
        }
    }

    private static async Task<Dictionary<string, double>> RunNodeAsync(int iterations)
    {
        var scripts = FindScripts();
        if (!Directory.Exists(Path.Combine(scripts, "node_modules", "mixpanel")))
        {
            await RunAsync("npm", $"ci --no-audit --no-fund --loglevel=error", scripts);
        }

        var input = Path.Combine(Path.GetTempPath(), "flags-benchmark-" + Environment.ProcessId + ".json");
        using (var definitions = JsonDocument.Parse(Definitions))
        {
            await File.WriteAllTextAsync(input, "{\"flags\": " + definitions.RootElement.GetProperty("flags").GetRawText() +
                ", \"keys\": [\"plain\", \"ruled\"], \"contexts\": [" + Mixpanel.Identity.Flags.FlagContextJson.ToJson(Context()) + "]}");
        }

        try
        {
            var output = await RunAsync("node", $"mixpanel-flags-evaluator.js \"{input}\" --time {iterations}", scripts);
            var times = JsonDocument.Parse(output).RootElement.GetProperty("nsPerEvaluation");
            return new() { ["plain"] = times.GetProperty("plain").GetDouble(), ["ruled"] = times.GetProperty("ruled").GetDouble() };
        }
        finally
        {
            File.Delete(input);
        }
    }

    private static async Task<string> RunAsync(string file, string arguments, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}");
    }

    private static string FindScripts()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var scripts = Path.Combine(folder.FullName, "tests", "js");
            if (File.Exists(Path.Combine(scripts, "mixpanel-flags-evaluator.js")))
            {
                return scripts;
            }
        }

        throw new InvalidOperationException("tests/js was not found above " + AppContext.BaseDirectory);
    }
}
