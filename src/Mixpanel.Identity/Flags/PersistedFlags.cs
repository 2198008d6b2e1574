using System.Text.Json;
using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// The last <c>/flags</c> answer an app received, kept on disk beside the identity (<c>flags.json</c>) with the distinct
/// id it was for and when: read back at start for the same distinct id within the time to live, so that an app that
/// starts offline has its last variants.
/// </summary>
internal sealed class PersistedFlags(string? directory, TimeSpan timeToLive)
{
    // An answer carries at most a few hundred flags of at most 32 KB each; a larger file is not one we wrote.
    private const long MaxFileBytes = 16 * 1024 * 1024;

    private string? Path => directory is null ? null : System.IO.Path.Combine(directory, "flags.json");

    /// <summary>The variants kept for <paramref name="distinctId"/>, if fresh enough; null otherwise (or unreadable).</summary>
    public Dictionary<string, MixpanelFlagVariant>? Read(string distinctId, DateTimeOffset now)
    {
        try
        {
            if (Path is not { } path || !File.Exists(path) || new FileInfo(path).Length > MaxFileBytes)
            {
                return null;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var fetchedAt = DateTimeOffset.FromUnixTimeMilliseconds(root.GetProperty("fetched_at").GetInt64());
            if (root.GetProperty("distinct_id").GetString() != distinctId || now - fetchedAt > timeToLive)
            {
                return null;
            }

            return RemoteFlags.Read(root.GetProperty("answer"), MixpanelFlagSource.Persisted, fetchedAt, fetchedAt);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Keeps <paramref name="answer"/> for <paramref name="distinctId"/>; a failure to write loses only the copy.</summary>
    public void Write(string distinctId, DateTimeOffset fetchedAt, JsonElement answer)
    {
        if (Path is not { } path)
        {
            return;
        }

        try
        {
            var temporary = path + ".tmp";
            using (var file = StorageFiles.OpenOwnerOnly(temporary))
            using (var writer = new Utf8JsonWriter(file))
            {
                writer.WriteStartObject();
                writer.WriteString("distinct_id", distinctId);
                writer.WriteNumber("fetched_at", fetchedAt.ToUnixTimeMilliseconds());
                writer.WritePropertyName("answer");
                answer.WriteTo(writer);
                writer.WriteEndObject();
            }

            StorageFiles.ReplaceWith(temporary, path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // The variants stay in memory; the next fetch writes them again.
        }
    }

    /// <summary>Forgets the kept answer (after a reset, the next person must not read the last one's).</summary>
    public void Delete()
    {
        try
        {
            if (Path is { } path)
            {
                File.Delete(path);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }
}
