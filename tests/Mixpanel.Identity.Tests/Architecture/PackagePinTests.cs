using System.IO.Compression;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Tests.JavaScript;
using Mixpanel.Identity.Tests.Trimming;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Architecture;

/// <summary>
/// The packages that read Mixpanel.Identity's internals can't drift apart from it: its internals are visible to test
/// projects and to those packages only, and each of those packages, as packed, depends on exactly the version of
/// Mixpanel.Identity it was built with. Upgrading one package alone is then a restore error, never a
/// <see cref="MissingMethodException"/> in production.
/// </summary>
[Collection(PublishingRunsAlone.Name)]
public sealed class PackagePinTests(ITestOutputHelper output) : IDisposable
{
    // Packing reuses the build the tests run on; this only stops a hung command from holding the test run.
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(3);

    private static readonly string[] PackagesReadingInternals = ["Mixpanel.Identity.AspNetCore", "Mixpanel.Identity.Testing"];

    private readonly TempDirectory _folder = new();

    [Fact]
    public void Internals_AreVisibleToTestProjectsAndToThePinnedPackagesOnly()
    {
        Friends(typeof(MixpanelClient).Assembly).Where(static name => !IsTestProject(name))
            .Should().BeEquivalentTo(PackagesReadingInternals);
        Friends(typeof(LocalMixpanelServer).Assembly).Should().OnlyContain(static name => IsTestProject(name));
        Friends(typeof(AspNetCore.IMixpanelRequestTracker).Assembly).Should().OnlyContain(static name => IsTestProject(name));
    }

    [Theory]
    [InlineData("Mixpanel.Identity.AspNetCore")]
    [InlineData("Mixpanel.Identity.Testing")]
    public async Task Package_AsPacked_DependsOnExactlyTheMixpanelIdentityItWasBuiltWith(string package)
    {
        var version = typeof(MixpanelClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

        var nuspec = await PackAsync(package);

        var dependencies = nuspec.Descendants().Where(static e => e.Name.LocalName == "dependency" && (string?)e.Attribute("id") == "Mixpanel.Identity").ToList();
        dependencies.Should().NotBeEmpty();
        dependencies.Select(static d => (string?)d.Attribute("version")).Should().OnlyContain(v => v == $"[{version}]", "an exact version, not a minimum");
    }

    public void Dispose() => _folder.Dispose();

    private static bool IsTestProject(string name) =>
        name.EndsWith(".Tests", StringComparison.Ordinal) || name is "Mixpanel.Identity.Benchmarks" or "Mixpanel.Identity.KillTestApp";

    private static List<string> Friends(Assembly assembly) =>
        [.. assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(static a => a.AssemblyName.Split(',')[0])];

    /// <summary>Packs <paramref name="package"/> from the build these tests run on, into a folder of its own, and reads its nuspec.</summary>
    private async Task<XDocument> PackAsync(string package)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        var project = RepositoryPaths.Combine("src", package, package + ".csproj");
        var outputFolder = _folder.Combine(package);
        var dotnet = ChildProcess.Dotnet;
        string[] arguments =
        [
            "pack", project, "--no-build", "-c", configuration, "-o", outputFolder,
            $"-p:NuspecOutputPath={_folder.Combine("nuspec", package)}{Path.DirectorySeparatorChar}",
            "--disable-build-servers", "-nodeReuse:false", "-tl:off",
        ];
        var result = await ChildProcess.RunAsync(dotnet, arguments, RepositoryPaths.Root, HangGuard, ChildProcess.NestedDotnetEnvironment());
        output.WriteLine($"{dotnet} {string.Join(' ', arguments)}: {result}");
        result.ExitCode.Should().Be(0, result.ToString());

        var nupkg = Directory.GetFiles(outputFolder, package + ".*.nupkg").Single(static path => !path.EndsWith(".snupkg", StringComparison.Ordinal));
        using var archive = ZipFile.OpenRead(nupkg);
        await using var nuspec = archive.GetEntry(package + ".nuspec")!.Open();
        return await XDocument.LoadAsync(nuspec, LoadOptions.None, CancellationToken.None);
    }
}
