using System.Reflection;
using System.Runtime.InteropServices;

namespace Mixpanel.Identity.Protocol;

/// <summary>What every event says about the library and platform that sent it (<c>mp_lib</c>, <c>$lib_version</c>, <c>$os</c>).</summary>
internal sealed class LibraryInfo
{
    public const string LibraryName = "dotnet";

    public LibraryInfo(string version, string? operatingSystem)
    {
        Version = version;
        OperatingSystem = operatingSystem;
    }

    public static LibraryInfo Current { get; } = new(ReadVersion(), ReadOperatingSystem());

    public string Version { get; }

    /// <summary>This machine's OS as Mixpanel names it; null where events describe someone else's device (a server's visitors).</summary>
    public string? OperatingSystem { get; }

    /// <summary>The same library, saying nothing of the machine it runs on.</summary>
    public LibraryInfo WithoutOperatingSystem() => new(Version, null);

    private static string ReadVersion()
    {
        var informational = typeof(LibraryInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return typeof(LibraryInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        }

        // Drop the "+<commit>" build metadata SourceLink appends.
        var plus = informational!.IndexOf('+');
        return plus < 0 ? informational : informational.Substring(0, plus);
    }

    // The names Mixpanel's own SDKs report, so reports group .NET apps with the rest of each platform.
    private static string ReadOperatingSystem()
    {
#if NET
        if (System.OperatingSystem.IsAndroid())
        {
            return "Android";
        }

        if (System.OperatingSystem.IsIOS())
        {
            return "iOS";
        }
#endif
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return "Windows";
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
        {
            return "Mac OS X";
        }

        if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            return "Linux";
        }

        return RuntimeInformation.OSDescription;
    }
}
