using System.Diagnostics;
using System.Text.RegularExpressions;
using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Tests.JavaScript;
using Mixpanel.Identity.Tests.Trimming;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests;

/// <summary>
/// The README's first screen as a new user meets it: its "Try it without a Mixpanel account" code, copied from the
/// README into a console app of its own, built against the libraries this test run was built with (the packages'
/// assemblies and what they depend on beyond the shared framework) and run. It must print how Mixpanel attributes
/// each event, as the README says.
/// </summary>
[Collection(PublishingRunsAlone.Name)]
public sealed partial class ReadmeFirstScreenTests(ITestOutputHelper output) : IDisposable
{
    private const string Heading = "## Try it without a Mixpanel account";

    // What the packages bring that the shared framework does not.
    private static readonly string[] Libraries = ["Mixpanel.Identity", "Mixpanel.Identity.Testing", "Polly.Core", "System.IO.Hashing"];

    // A build takes about 10 seconds here; this only stops a hung build from holding the test run.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(5);

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task TryItWithoutAnAccount_AsWritten_BuildsRunsAndPrintsWhoEachEventLandsOn()
    {
        var readme = await File.ReadAllTextAsync(RepositoryPaths.Combine("README.md"));
        var snippet = FirstCSharpBlockAfter(readme, Heading);
        var app = Path.Combine(_folder.Path, "TryMixpanel");
        Directory.CreateDirectory(app);
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), snippet);
        await File.WriteAllTextAsync(Path.Combine(app, "TryMixpanel.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <FrameworkReference Include="Microsoft.AspNetCore.App" />
            {string.Concat(Libraries.Select(static name => $"    <Reference Include=\"{Path.Combine(AppContext.BaseDirectory, name + ".dll")}\" />\n"))}  </ItemGroup>
            </Project>
            """);

        var run = await RunAsync(app);

        run.ExitCode.Should().Be(0, run.ToString());
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        lines.Should().HaveCount(3, run.ToString());
        lines[0].Should().MatchRegex(@"^#\d+ Viewed Pricing: \$device:[0-9a-f-]{36} => user-1234$", "the anonymous event lands on the user who identified");
        lines[1].Should().MatchRegex(@"^#\d+ \$identify: user-1234 => user-1234$");
        lines[2].Should().MatchRegex(@"^#\d+ Purchased: user-1234 => user-1234$");
        readme.Should().Contain(lines[1]).And.Contain(lines[2], "the README shows what the code prints");
    }

    private static string FirstCSharpBlockAfter(string markdown, string heading)
    {
        var section = markdown.IndexOf(heading, StringComparison.Ordinal);
        section.Should().BeGreaterThanOrEqualTo(0, $"the README has the section '{heading}'");
        var block = CSharpBlock().Match(markdown, section);
        block.Success.Should().BeTrue();
        return block.Groups["code"].Value;
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    private async Task<ProcessOutput> RunAsync(string project)
    {
        var dotnet = ChildProcess.Dotnet;
        string[] arguments =
        [
            "run", "--project", project,
            // Its own bin and obj, so that the repository's builds are neither disturbed nor reused.
            "--artifacts-path", Path.Combine(_folder.Path, "artifacts"),
            // Build servers outlive the command and would hold its output open.
            "--disable-build-servers", "-nodeReuse:false", "-tl:off", "-clp:NoSummary", "-v:q",
        ];
        var stopwatch = Stopwatch.StartNew();
        var result = await ChildProcess.RunAsync(dotnet, arguments, project, HangGuard, ChildProcess.NestedDotnetEnvironment());
        output.WriteLine($"{dotnet} {string.Join(" ", arguments)}: {result} after {stopwatch.Elapsed.TotalSeconds:0.0} s");
        return result;
    }
}
