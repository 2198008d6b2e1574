using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The identity store's file format: one JSON object, versioned. It reads back exactly what it writes, to every depth
/// and size a call accepts (<see cref="IdentityBudgets"/> keep what is written within <see cref="MaxFileBytes"/>);
/// anything it could not have written is damage (<see cref="FormatException"/>).
/// </summary>
internal static class IdentityFile
{
    public const int FormatVersion = 3;

    // Version 3 ends with a checksum of everything before it: any damage is found, whatever bytes it leaves behind.
    private const string ChecksumSuffixStart = ",\"checksum\":\"";
    private const int ChecksumSuffixLength = 15 + 8; // ,"checksum":" + 8 hex digits + "}

    /// <summary>The most a file can hold: super properties and held updates at their budgets, with room to spare.</summary>
    public const long MaxFileBytes = 8 * 1024 * 1024;

    public static byte[] Serialize(IdentityState state)
    {
        var buffer = new ByteBuffer(512);
        using (var writer = new Utf8JsonWriter(buffer, JsonValues.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", FormatVersion);
            writer.WriteString("deviceId", state.DeviceId);
            writer.WriteString("userId", state.UserId);
            writer.WriteString("alias", state.Alias);
            writer.WriteBoolean("optedOut", state.OptedOut);
            writer.WritePropertyName("superProperties");
            JsonValues.WriteObject(writer, state.SuperProperties);
            writer.WriteStartArray("heldProfileUpdates");
            foreach (var update in state.HeldProfileUpdates)
            {
                writer.WriteStartObject();
                writer.WriteString("operation", ProfileUpdate.WireName(update.Operation));
                writer.WritePropertyName("payload");
                JsonValues.Write(writer, update.Payload);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (state.PendingRelease != 0)
            {
                writer.WriteNumber("pendingRelease", state.PendingRelease);
            }

            if (state.Timers.Count > 0)
            {
                writer.WriteStartObject("timers");
                foreach (var timer in state.Timers)
                {
                    writer.WriteNumber(timer.Key, timer.Value);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        // {…} becomes {…,"checksum":"xxxxxxxx"}, the checksum covering {…}.
        var checksum = Crc32.HashToUInt32(buffer.WrittenSpan).ToString("x8", CultureInfo.InvariantCulture);
        var body = buffer.WrittenSpan;
        return [.. body.Slice(0, body.Length - 1), .. Encoding.UTF8.GetBytes(ChecksumSuffixStart + checksum + "\"}")];
    }

    /// <summary>Reads a state back; throws <see cref="JsonException"/> or <see cref="FormatException"/> on anything malformed.</summary>
    public static IdentityState Deserialize(ReadOnlyMemory<byte> content)
    {
        using var document = JsonDocument.Parse(content);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("The identity file does not hold a JSON object.");
        }

        // Versions 1 and 2 had the same fields without a checksum (1 without pendingRelease) and device ids that were
        // always UUIDs; from 3 a device id may be an app's own (MixpanelOptions.DeviceIdProvider).
        if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var number) || number is < 1 or > FormatVersion)
        {
            throw new FormatException("The identity file has an unknown format version.");
        }

        if (number == FormatVersion && !HasValidChecksum(content.Span))
        {
            throw new FormatException("The identity file's checksum does not match its content.");
        }

        var deviceId = OptionalString(root, "deviceId") ?? throw new FormatException("The identity file has no device id.");
        if (!IdentityState.IsValidDeviceId(deviceId) || (number < FormatVersion && !Guid.TryParse(deviceId, out _)))
        {
            throw new FormatException("The identity file's device id is not a valid id.");
        }

        var userId = OptionalString(root, "userId");
        if (userId is not null && !DistinctIds.IsValidUserId(userId))
        {
            throw new FormatException("The identity file's user id is not a valid id.");
        }

        var alias = OptionalString(root, "alias");
        var optedOut = root.TryGetProperty("optedOut", out var flag) && flag.ValueKind == JsonValueKind.True;
        var superProperties = root.TryGetProperty("superProperties", out var super)
            ? JsonValues.ReadObject(super)
            : PropertyMap.Empty;

        var held = new List<ProfileUpdate>();
        if (root.TryGetProperty("heldProfileUpdates", out var updates))
        {
            if (updates.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("The identity file's held profile updates are not a list.");
            }

            foreach (var update in updates.EnumerateArray())
            {
                held.Add(ReadUpdate(update));
            }
        }

        var pendingRelease = root.TryGetProperty("pendingRelease", out var tag) && tag.TryGetInt64(out var value) ? value : 0;
        var timers = new Dictionary<string, long>(StringComparer.Ordinal);
        if (root.TryGetProperty("timers", out var started) && started.ValueKind == JsonValueKind.Object)
        {
            foreach (var timer in started.EnumerateObject())
            {
                timers[timer.Name] = timer.Value.TryGetInt64(out var at) ? at : throw new FormatException("A timer's start is not a number.");
            }
        }

        return new IdentityState(deviceId, userId, alias, optedOut, superProperties, held, pendingRelease, timers);
    }

    private static bool HasValidChecksum(ReadOnlySpan<byte> content)
    {
        if (content.Length < ChecksumSuffixLength + 2)
        {
            return false;
        }

        var suffix = Encoding.UTF8.GetString(content.Slice(content.Length - ChecksumSuffixLength).ToArray());
#pragma warning disable CA1846 // netstandard2.0 has no span overload of uint.TryParse; this runs once per start.
        if (!suffix.StartsWith(ChecksumSuffixStart, StringComparison.Ordinal) || !suffix.EndsWith("\"}", StringComparison.Ordinal) ||
            !uint.TryParse(suffix.Substring(ChecksumSuffixStart.Length, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var expected))
#pragma warning restore CA1846
        {
            return false;
        }

        var body = new byte[content.Length - ChecksumSuffixLength + 1];
        content.Slice(0, body.Length - 1).CopyTo(body);
        body[body.Length - 1] = (byte)'}';
        return Crc32.HashToUInt32(body) == expected;
    }

    private static ProfileUpdate ReadUpdate(JsonElement update)
    {
        if (update.ValueKind != JsonValueKind.Object || !ProfileUpdate.TryParseWireName(OptionalString(update, "operation"), out var operation))
        {
            throw new FormatException("The identity file holds a profile update with an unknown operation.");
        }

        update.TryGetProperty("payload", out var payload);
        return operation switch
        {
            ProfileOperation.Delete => new ProfileUpdate(operation, null),
            ProfileOperation.Unset => new ProfileUpdate(operation, JsonValues.ReadList(payload)),
            _ => new ProfileUpdate(operation, JsonValues.ReadObject(payload)),
        };
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? JsonValues.ReadString(value) : null;
}
