using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.JavaScript;

/// <summary>
/// What tests that run JavaScript need, set up once per test run for the <see cref="UsesJavaScript"/>: node and npm,
/// the packages of <c>tests/js</c> installed with <c>npm ci</c> from its lock file, and on first use one headless Chromium
/// that the collection's tests share, each in its own browser context. Whatever is missing is installed from Debian's
/// packages, so the suite runs on a fresh machine.
/// </summary>
public sealed class JavaScriptTools : IAsyncLifetime
{
    private static readonly TimeSpan InstallHangGuard = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan ScriptHangGuard = TimeSpan.FromMinutes(2);

    private readonly Lazy<Task<HeadlessChromium>> _browser = new(StartBrowserAsync);

    /// <summary>The <c>tests/js</c> folder: its <c>package.json</c>, lock file, scripts and <c>node_modules</c>.</summary>
    public string Directory { get; } = FindScriptsFolder();

    public async Task InitializeAsync()
    {
        if (!await ChildProcess.CanRunAsync("node", "--version") || !await ChildProcess.CanRunAsync("npm", "--version"))
        {
            await AptInstallAsync("nodejs", "npm");
        }

        var install = await ChildProcess.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], Directory, InstallHangGuard);
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException("npm ci in " + Directory + " failed: " + install);
        }
    }

    /// <summary>The shared browser, started (and installed, if need be) on first use.</summary>
    public Task<HeadlessChromium> BrowserAsync() => _browser.Value;

    /// <summary>Runs a script of <c>tests/js</c> with node, from that folder.</summary>
    public Task<ProcessOutput> RunNodeAsync(string script, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        ChildProcess.RunAsync("node", [script, .. arguments], Directory, ScriptHangGuard, environment);

    public async Task DisposeAsync()
    {
        if (_browser.IsValueCreated && _browser.Value.IsCompletedSuccessfully)
        {
            await (await _browser.Value).DisposeAsync();
        }
    }

    private static async Task<HeadlessChromium> StartBrowserAsync()
    {
        if (!File.Exists(HeadlessChromium.Executable))
        {
            await AptInstallAsync("chromium");
        }

        return await HeadlessChromium.StartAsync();
    }

    private static async Task AptInstallAsync(params string[] packages)
    {
        var environment = new Dictionary<string, string?> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        var update = await ChildProcess.RunAsync("apt-get", ["update"], Path.GetTempPath(), InstallHangGuard, environment);
        var install = update.ExitCode == 0
            ? await ChildProcess.RunAsync("apt-get", ["install", "-y", "--no-install-recommends", .. packages], Path.GetTempPath(), InstallHangGuard, environment)
            : update;
        if (install.ExitCode != 0)
        {
            throw new InvalidOperationException($"apt-get could not install {string.Join(' ', packages)} (it needs root): {install}");
        }
    }

    private static string FindScriptsFolder()
    {
        var folder = RepositoryPaths.Combine("tests", "js");
        return File.Exists(Path.Combine(folder, "package.json"))
            ? folder
            : throw new InvalidOperationException("tests/js/package.json was not found in " + RepositoryPaths.Root);
    }
}

/// <summary>
/// The tests that run Mixpanel's official JavaScript libraries: one <c>npm ci</c> and one browser for all of them. They run
/// one after another, beside the other collections.
/// </summary>
[CollectionDefinition(Name)]
public sealed class UsesJavaScript : ICollectionFixture<JavaScriptTools>
{
    public const string Name = "JavaScript";
}
