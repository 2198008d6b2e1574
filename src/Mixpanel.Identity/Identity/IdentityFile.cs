using System.Text.Json;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Identity;

/// <summary>The identity store's file format: one JSON object, versioned.</summary>
internal static class IdentityFile
{
    public const int FormatVersion = 1;

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

        if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var number) || number != FormatVersion)
        {
            throw new FormatException("The identity file has an unknown format version.");
        }

        var deviceId = RequiredString(root, "deviceId");
        if (!Guid.TryParse(deviceId, out _))
        {
            throw new FormatException("The identity file's device id is not a UUID.");
        }

        var userId = OptionalString(root, "userId");
        if (userId is not null && !IsUsableUserId(userId))
        {
            throw new FormatException("The identity file's user id is not a valid id.");
        }

        var optedOut = root.TryGetProperty("optedOut", out var flag) && flag.ValueKind == JsonValueKind.True;
        var superProperties = root.TryGetProperty("superProperties", out var super) && super.ValueKind == JsonValueKind.Object
            ? JsonValues.ReadObject(super)
            : PropertyMap.Empty;

        var held = new List<ProfileUpdate>();
        if (root.TryGetProperty("heldProfileUpdates", out var updates) && updates.ValueKind == JsonValueKind.Array)
        {
            foreach (var update in updates.EnumerateArray())
            {
                if (!ProfileUpdate.TryParseWireName(OptionalString(update, "operation"), out var operation))
                {
                    throw new FormatException("The identity file holds a profile update with an unknown operation.");
                }

                var payload = update.TryGetProperty("payload", out var value) ? JsonValues.Read(value) : null;
                held.Add(new ProfileUpdate(operation, payload));
            }
        }

        return new IdentityState(deviceId, userId, OptionalString(root, "alias"), optedOut, superProperties, held);
    }

    private static bool IsUsableUserId(string id)
    {
        try
        {
            DistinctIds.ValidateUserId(id, "userId");
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string RequiredString(JsonElement element, string name) =>
        OptionalString(element, name) ?? throw new FormatException($"The identity file has no '{name}'.");

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
