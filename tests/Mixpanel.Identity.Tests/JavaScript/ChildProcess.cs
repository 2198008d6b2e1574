using System.Diagnostics;
using System.Text;

namespace Mixpanel.Identity.Tests.JavaScript;

/// <summary>What a finished child process printed, and how it ended.</summary>
public sealed record ProcessOutput(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit code {ExitCode}\nstdout:\n{StandardOutput}\nstderr:\n{StandardError}";
}

/// <summary>
/// Runs a program to its end, within a bound; a program still running at the bound is killed, with its children. The
/// program inherits this process's environment, changed by <c>environment</c>: a null value removes a variable.
/// </summary>
public static class ChildProcess
{
    public static async Task<ProcessOutput> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string workingDirectory,
        TimeSpan hangGuard,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // A null value removes the variable the child would otherwise inherit.
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(fileName + " did not start.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var guard = new CancellationTokenSource(hangGuard);
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {hangGuard}.");
        }

        return new ProcessOutput(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Whether <paramref name="fileName"/> runs at all (is installed and on the PATH).</summary>
    public static async Task<bool> CanRunAsync(string fileName, string argument)
    {
        try
        {
            var output = await RunAsync(fileName, [argument], Path.GetTempPath(), TimeSpan.FromSeconds(30));
            return output.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>The <c>dotnet</c> this test host runs under (or the one on the PATH), for a nested build, pack or publish.</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>
    /// The environment for a nested <c>dotnet</c> command: the test host runs inside a build of this repository, and
    /// MSBuild's variables from it would steer the nested one.
    /// </summary>
    public static Dictionary<string, string?> NestedDotnetEnvironment()
    {
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(static k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(static k => k, static string? (_) => null);
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        return environment;
    }
}
