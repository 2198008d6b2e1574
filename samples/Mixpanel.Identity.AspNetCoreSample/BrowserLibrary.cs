using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Mixpanel.Identity.AspNetCoreSample;

/// <summary>
/// Mixpanel's browser library, the npm package <c>mixpanel-browser</c> at the version package-lock.json pins, installed
/// with <c>npm ci</c> into this sample's folder on first start and served from its <c>node_modules</c>. (A production
/// site would bundle it at build time; installing on start keeps the sample to one command.)
/// </summary>
public static class BrowserLibrary
{
    private const string Package = "mixpanel-browser";

    /// <summary>The sample's source folder, where package.json is.</summary>
    public static string SampleDirectory { get; } =
        typeof(BrowserLibrary).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SampleDirectory").Value!;

    /// <summary>The script a page loads with a <c>&lt;script&gt;</c> tag; it defines <c>window.mixpanel</c>.</summary>
    public static string ScriptPath { get; } = Path.Combine(SampleDirectory, "node_modules", Package, "dist", "mixpanel.umd.js");

    /// <summary>Runs <c>npm ci</c> unless the pinned version is installed already.</summary>
    /// <exception cref="InvalidOperationException">npm is missing, or failed.</exception>
    public static async Task EnsureInstalledAsync()
    {
        if (InstalledVersion() is { } installed && installed == PinnedVersion())
        {
            return;
        }

        var start = new ProcessStartInfo("npm") { WorkingDirectory = SampleDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" })
        {
            start.ArgumentList.Add(argument);
        }

        Console.WriteLine($"Installing {Package} {PinnedVersion()} with npm ci in {SampleDirectory}…");
        Process npm;
        try
        {
            npm = Process.Start(start) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new InvalidOperationException($"The sample's page runs {Package} from npm: install node and npm (Debian: apt-get install nodejs npm).", exception);
        }

        using (npm)
        {
            var output = npm.StandardOutput.ReadToEndAsync();
            var errors = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0)
            {
                throw new InvalidOperationException($"npm ci failed in {SampleDirectory} (exit code {npm.ExitCode}):\n{await output}{await errors}");
            }
        }
    }

    private static string PinnedVersion() => VersionIn(Path.Combine(SampleDirectory, "package-lock.json"), "packages", "node_modules/" + Package)
        ?? throw new InvalidOperationException($"package-lock.json in {SampleDirectory} does not pin {Package}.");

    private static string? InstalledVersion() => VersionIn(Path.Combine(SampleDirectory, "node_modules", Package, "package.json"));

    private static string? VersionIn(string file, params string[] path)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        using var json = JsonDocument.Parse(File.ReadAllText(file));
        var element = json.RootElement;
        foreach (var name in path)
        {
            if (!element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.TryGetProperty("version", out var version) ? version.GetString() : null;
    }
}
