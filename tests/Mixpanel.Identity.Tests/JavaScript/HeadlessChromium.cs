using System.Diagnostics;
using System.Text.RegularExpressions;
using Mixpanel.Identity.Tests.Fakes;

namespace Mixpanel.Identity.Tests.JavaScript;

/// <summary>
/// One headless Chromium (Debian's <c>chromium</c>) with a fresh profile and the DevTools protocol on a loopback port,
/// which scripts drive through <c>playwright-core</c>'s <c>connectOverCDP</c>, each in its own browser context. Stopped by
/// its process id, with its child processes, and its profile deleted.
/// </summary>
public sealed partial class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly TempDirectory _profile;

    private HeadlessChromium(Process process, TempDirectory profile, string cdpEndpoint)
    {
        _process = process;
        _profile = profile;
        CdpEndpoint = cdpEndpoint;
    }

    /// <summary>The DevTools WebSocket address, <c>ws://127.0.0.1:{port}/devtools/browser/{id}</c>.</summary>
    public string CdpEndpoint { get; }

    public static async Task<HeadlessChromium> StartAsync()
    {
        var profile = new TempDirectory();
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--user-data-dir=" + profile.Path, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",

                     // Sites under test answer on 127.0.0.1; a *.localhost name gives them subdomains of one site.
                     "--host-resolver-rules=MAP *.localhost 127.0.0.1",
                     "about:blank",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Chromium did not start.");

        // Chromium says where DevTools listens on its standard error; the rest of what it says is kept for a failure message.
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var said = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                endpoint.TrySetException(new InvalidOperationException("Chromium exited before it listened:\n" + string.Join('\n', said)));
                return;
            }

            said.Enqueue(e.Data);
            if (DevToolsLine().Match(e.Data) is { Success: true } match)
            {
                endpoint.TrySetResult(match.Groups["url"].Value);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var url = await endpoint.Task.WaitAsync(StartTimeout);
            return new HeadlessChromium(process, profile, url);
        }
        catch
        {
            Stop(process);
            process.Dispose();
            profile.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Stop(_process);
        using (var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(exited.Token);
            }
            catch (OperationCanceledException)
            {
                // Killed; the operating system reaps it.
            }
        }

        _process.Dispose();
        _profile.Dispose();
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [GeneratedRegex(@"DevTools listening on (?<url>ws://\S+)")]
    private static partial Regex DevToolsLine();
}
