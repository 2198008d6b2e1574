using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Tests.Server;

/// <summary>How an import event's JSON must read, byte for byte: as <see cref="Utf8JsonWriter"/> writes it.</summary>
internal static class ImportEventJson
{
    /// <summary>The event as <see cref="Utf8JsonWriter"/> writes it, its derived insert id that of its bytes before the id.</summary>
    public static string AsUtf8JsonWriterWritesIt(MixpanelImportEvent item)
    {
        var json = new ByteBuffer();
        using var writer = new Utf8JsonWriter(json, JsonValues.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("event", item.Name);
        writer.WriteStartObject("properties");
        writer.WriteNumber("time", item.Time.ToUnixTimeMilliseconds());
        writer.WriteString("distinct_id", item.DistinctId);
        foreach (var property in item.Properties)
        {
            writer.WritePropertyName(property.Key);
            JsonValues.Write(writer, property.Value);
        }

        writer.Flush();
        writer.WriteString("$insert_id", item.InsertId ?? ContentIds.Of(json.WrittenSpan));
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        return Encoding.UTF8.GetString(json.WrittenSpan);
    }
}
