using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>
/// A small disk of its own: a tmpfs of a few pages, mounted for one test and unmounted after it, that the test can
/// fill to the last page. Only root on Linux can mount one; elsewhere <see cref="TryMount"/> says so in the test's
/// output and returns null.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    public const int PageBytes = 4096;

    private readonly TempDirectory _mountPoint;

    private SmallDisk(TempDirectory mountPoint)
    {
        _mountPoint = mountPoint;

        // The mount's root is writable by everyone (1777), which storage refuses: tests use a folder of their own in it.
        Path = System.IO.Path.Combine(mountPoint.Path, "storage");
        Directory.CreateDirectory(Path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>An owner-only folder on the small disk.</summary>
    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="pages"/> pages; null, said in <paramref name="output"/>, where this cannot be done.</summary>
    public static SmallDisk? TryMount(int pages, ITestOutputHelper output)
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux) || Environment.UserName != "root")
        {
            output.WriteLine($"NOT RUN: a small tmpfs can be mounted only by root on Linux (this is {RuntimeInformation.OSDescription}, user {Environment.UserName}).");
            return null;
        }

        var mountPoint = new TempDirectory();
        var (exitCode, error) = Run("mount", "-t", "tmpfs", "-o", $"size={pages * PageBytes / 1024}k,mode=0700", "tmpfs", mountPoint.Path);
        if (exitCode != 0)
        {
            mountPoint.Dispose();
            output.WriteLine($"NOT RUN: mounting a tmpfs failed ({error.Trim()}).");
            return null;
        }

        return new SmallDisk(mountPoint);
    }

    /// <summary>Fills the disk, then frees <paramref name="freePages"/> pages of it.</summary>
    public void FillLeaving(int freePages)
    {
        var filler = System.IO.Path.Combine(_mountPoint.Path, "filler");
        using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1);
        var page = new byte[PageBytes];
        Array.Fill(page, (byte)1);
        try
        {
            while (true)
            {
                stream.Write(page);
            }
        }
        catch (IOException)
        {
            // Full.
        }

        stream.SetLength(Math.Max(0, (stream.Length / PageBytes * PageBytes) - ((long)freePages * PageBytes)));
    }

    /// <summary>Deletes what <see cref="FillLeaving"/> wrote.</summary>
    public void FreeAll() => File.Delete(System.IO.Path.Combine(_mountPoint.Path, "filler"));

    public void Dispose()
    {
        Run("umount", "-l", _mountPoint.Path);
        _mountPoint.Dispose();
    }

    private static (int ExitCode, string Error) Run(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, error);
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return (-1, exception.Message);
        }
    }
}
