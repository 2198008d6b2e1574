using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// What a client's records carry besides their own properties: the library (with the operating system only when the
/// records describe this machine), and the platform's default properties, read once when delivery starts.
/// </summary>
internal sealed record RecordDefaults(LibraryInfo Library, Func<IReadOnlyList<KeyValuePair<string, object?>>> ReadPlatform)
{
    /// <summary>An app's client: its records describe the machine it runs on.</summary>
    public static RecordDefaults ForThisMachine(MixpanelOptions options) =>
        new(LibraryInfo.Current, () => DeviceProperties.Read(options.AppVersion, options.AppBuildNumber, describeMachine: true));

    /// <summary>A server's client: its records are other devices' (visitors'), and say nothing of the server's machine.</summary>
    public static RecordDefaults ForVisitors(MixpanelOptions options) =>
        new(LibraryInfo.Current.WithoutOperatingSystem(), () => DeviceProperties.Read(options.AppVersion, options.AppBuildNumber, describeMachine: false));
}
