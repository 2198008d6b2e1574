using System.Diagnostics;
using System.Text.RegularExpressions;
using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Tests.JavaScript;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Trimming;

/// <summary>
/// Publishes tests/Mixpanel.Identity.TrimCheck, an app that uses the library directly and through the host, the way
/// apps ship it: trimmed, and compiled ahead of time. Each publish must report no trimming or AOT warning for any
/// part of the library (the app roots all of it), and the published program must still work.
/// </summary>
[Collection(PublishingRunsAlone.Name)]
public sealed partial class TrimmedPublishTests : IClassFixture<TempDirectory>
{
    // A publish takes about 20 seconds here; this only stops a hung build from holding the test run.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    // A fresh folder for both publishes, which share the library's build; deleted after the class.
    private readonly TempDirectory _folder;
    private readonly ITestOutputHelper _output;

    public TrimmedPublishTests(TempDirectory folder, ITestOutputHelper output)
    {
        _folder = folder;
        _output = output;
    }

    [Fact]
    public async Task Publish_Trimmed_ReportsNoWarningsAndTheAppRuns()
    {
        var output = Path.Combine(_folder.Path, "trimmed");

        var publish = await PublishAsync(output, "--self-contained");

        TrimWarnings(publish.Output).Should().BeEmpty();
        publish.ExitCode.Should().Be(0, publish.Output);
        Warnings(publish.Output).Should().BeEmpty();
        var run = await RunAsync(Path.Combine(output, "Mixpanel.Identity.TrimCheck"));
        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().StartWith("ok: 3 requests");
    }

    [Fact]
    public async Task Publish_NativeAot_ReportsNoWarningsAndTheAppRuns()
    {
        var output = Path.Combine(_folder.Path, "aot");

        // PublishAot is set by the app's project when TrimCheckAot is true: as a global property it would reach the
        // library's netstandard2.0 build too.
        var publish = await PublishAsync(output, "-p:TrimCheckAot=true");

        TrimWarnings(publish.Output).Should().BeEmpty();
        publish.ExitCode.Should().Be(0, publish.Output);
        Warnings(publish.Output).Should().BeEmpty();
        publish.Output.Should().Contain("Generating native code");
        var run = await RunAsync(Path.Combine(output, "Mixpanel.Identity.TrimCheck"));
        run.ExitCode.Should().Be(0, run.Output);
        run.Output.Should().StartWith("ok: 3 requests");
    }

    private static List<string> TrimWarnings(string output) =>
        [.. output.Split('\n').Where(static line => TrimWarning().IsMatch(line)).Select(static line => line.Trim()).Distinct()];

    private static List<string> Warnings(string output) =>
        [.. output.Split('\n').Where(static line => line.Contains(": warning ", StringComparison.Ordinal)).Select(static line => line.Trim()).Distinct()];

    [GeneratedRegex(@"\b(warning|error)\s+IL[23]\d{3}\b")]
    private static partial Regex TrimWarning();

    private async Task<ProcessResult> PublishAsync(string output, string extra)
    {
        var project = RepositoryPaths.Combine("tests", "Mixpanel.Identity.TrimCheck", "Mixpanel.Identity.TrimCheck.csproj");
        var dotnet = ChildProcess.Dotnet;
        string[] arguments =
        [
            "publish", project, "-c", "Release", "-r", "linux-x64", extra, "-o", output,
            // Its own bin and obj, so that the repository's builds are neither disturbed nor reused.
            "--artifacts-path", Path.Combine(_folder.Path, "artifacts"),
            // Build servers outlive the command and would hold its output open.
            "--disable-build-servers", "-nodeReuse:false", "-tl:off", "-clp:NoSummary",
        ];
        var stopwatch = Stopwatch.StartNew();
        var result = await ProcessResult.RunAsync(dotnet, arguments, RepositoryPaths.Root, HangGuard);
        _output.WriteLine($"{dotnet} {string.Join(" ", arguments)}: exit code {result.ExitCode} after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        _output.WriteLine(result.Output);
        return result;
    }

    private async Task<ProcessResult> RunAsync(string program)
    {
        var result = await ProcessResult.RunAsync(program, [], _folder.Path, HangGuard);
        _output.WriteLine($"{program}: exit code {result.ExitCode}");
        _output.WriteLine(result.Output);
        return result;
    }

    private sealed record ProcessResult(int ExitCode, string Output)
    {
        public static async Task<ProcessResult> RunAsync(string fileName, IReadOnlyList<string> arguments, string workingDirectory, TimeSpan hangGuard)
        {
            var output = await ChildProcess.RunAsync(fileName, arguments, workingDirectory, hangGuard, ChildProcess.NestedDotnetEnvironment());
            return new ProcessResult(output.ExitCode, output.StandardOutput + output.StandardError);
        }
    }
}

/// <summary>
/// Publishing compiles for tens of seconds on every core; run alone, after the other tests, so that their servers and
/// clients are never starved of CPU while they wait on one another.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PublishingRunsAlone
{
    public const string Name = "Publishing";
}
