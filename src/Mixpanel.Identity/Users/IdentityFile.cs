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
    public const int FormatVersion = 2;

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

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
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

        // Version 1 had the same fields, without pendingRelease.
        if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var number) || number is not (1 or FormatVersion))
        {
            throw new FormatException("The identity file has an unknown format version.");
        }

        var deviceId = OptionalString(root, "deviceId") ?? throw new FormatException("The identity file has no device id.");
        if (!Guid.TryParse(deviceId, out _))
        {
            throw new FormatException("The identity file's device id is not a UUID.");
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
        return new IdentityState(deviceId, userId, alias, optedOut, superProperties, held, pendingRelease);
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
