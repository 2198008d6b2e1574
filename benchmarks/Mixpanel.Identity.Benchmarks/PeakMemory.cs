using System.Diagnostics;
using System.Globalization;

namespace Mixpanel.Identity.Benchmarks;

/// <summary>The process's peak resident memory (Linux: VmHWM), which can be reset so that a run is measured on its own.</summary>
internal static class PeakMemory
{
    private const string StatusPath = "/proc/self/status";

    /// <summary>Starts a new peak from the memory resident now; false where the platform can't (the peak is then since start).</summary>
    public static bool TryReset()
    {
        try
        {
            // "5" resets the peak resident set size to the current one (proc(5), Linux 4.0 and later).
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    public static double PeakMegabytes()
    {
        if (File.Exists(StatusPath))
        {
            foreach (var line in File.ReadLines(StatusPath))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kilobytes = long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                    return kilobytes / 1024.0;
                }
            }
        }

        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}
