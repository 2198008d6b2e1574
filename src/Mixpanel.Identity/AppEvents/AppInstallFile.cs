using System.Text.Json;
using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.AppEvents;

/// <summary>
/// What the app events remember of this installation, in <c>app-events.json</c> beside the identity: whether its first
/// open was seen, and the app version it last ran. Replaced in one step; a file that cannot be read is taken as absent.
/// </summary>
internal sealed record AppInstallFile(bool FirstOpenSeen, string? AppVersion)
{
    public const string FileName = "app-events.json";

    // Larger than any file this class writes (a version is cut to Mixpanel's 255 characters); a larger one is not ours.
    private const int MaxBytes = 4096;

    /// <summary>The state stored in <paramref name="directory"/>, or null when there is none that can be read.</summary>
    public static AppInstallFile? Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes)
            {
                return null;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var firstOpen = root.TryGetProperty("firstOpenSeen", out var seen) && seen.ValueKind == JsonValueKind.True;
            var version = root.TryGetProperty("appVersion", out var stored) && stored.ValueKind == JsonValueKind.String ? stored.GetString() : null;
            return new AppInstallFile(firstOpen, version);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Stores this state in <paramref name="directory"/>, replacing what was there in one step.</summary>
    /// <exception cref="IOException">The file could not be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory may not be written.</exception>
    public void Write(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var temporary = path + ".tmp";
        using (var stream = StorageFiles.OpenOwnerOnly(temporary))
        {
            using var writer = new Utf8JsonWriter(stream);
            writer.WriteStartObject();
            writer.WriteBoolean("firstOpenSeen", FirstOpenSeen);
            if (AppVersion is not null)
            {
                writer.WriteString("appVersion", AppVersion);
            }

            writer.WriteEndObject();
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }

        StorageFiles.ReplaceWith(temporary, path);
    }
}
