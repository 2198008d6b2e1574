using System.Reflection;

namespace Mixpanel.Identity.Protocol;

/// <summary>
/// The default properties Mixpanel's client SDKs send with every event ("Default Properties" in Mixpanel's docs):
/// read once per client, from the platform and the app, and absent where the platform does not tell them cheaply.
/// </summary>
internal static class DeviceProperties
{
    public const string OsVersion = "$os_version";
    public const string AppVersion = "$app_version_string";
    public const string AppBuild = "$app_build_number";
    public const string Manufacturer = "$manufacturer";
    public const string Model = "$model";

    /// <summary>
    /// The properties for this process when it is the user's device (<paramref name="describeMachine"/>): the app's
    /// version and build, the OS version and the machine's maker and model. None for a server: its events are its
    /// visitors', whose app is the page or app they use, not the server's build.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> Read(string? appVersion, string? appBuild, bool describeMachine)
    {
        var items = new List<KeyValuePair<string, object?>>(5);
        if (!describeMachine)
        {
            return items;
        }

        Add(items, OsVersion, Environment.OSVersion.Version.ToString());

        var entry = Assembly.GetEntryAssembly();
        Add(items, AppVersion, appVersion ?? WithoutBuildMetadata(entry?.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion));
        Add(items, AppBuild, appBuild ?? entry?.GetCustomAttribute<AssemblyFileVersionAttribute>()?.Version);
        var (manufacturer, model) = ReadMachine();
        Add(items, Manufacturer, manufacturer);
        Add(items, Model, model);

        return items;
    }

    private static void Add(List<KeyValuePair<string, object?>> items, string name, string? value)
    {
        value = value?.Trim();
        if (!string.IsNullOrEmpty(value) && WellFormedText.IsWellFormed(value!))
        {
            items.Add(new(name, value));
        }
    }

    // "1.2.3+abcdef" → "1.2.3": the commit SourceLink appends is not a version users group by.
    private static string? WithoutBuildMetadata(string? version) =>
        version?.IndexOf('+') is { } plus && plus >= 0 ? version.Substring(0, plus) : version;

    /// <summary>The machine's maker and model, where the OS tells them without a query engine (no WMI).</summary>
    private static (string? Manufacturer, string? Model) ReadMachine()
    {
        try
        {
#if NET
            if (OperatingSystem.IsWindows())
            {
                using var bios = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(@"HARDWARE\DESCRIPTION\System\BIOS");
                return (bios?.GetValue("SystemManufacturer") as string, bios?.GetValue("SystemProductName") as string);
            }
#endif
            const string Dmi = "/sys/class/dmi/id/";
            if (File.Exists(Dmi + "sys_vendor"))
            {
                return (ReadSmall(Dmi + "sys_vendor"), ReadSmall(Dmi + "product_name"));
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            // Not told: the properties are left out.
        }

        return (null, null);
    }

    private static string? ReadSmall(string path)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : null;
        return text is { Length: <= 255 } ? text : null;
    }
}
