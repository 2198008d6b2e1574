using System.Buffers;
using System.Text.Json;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>The JSON bodies Mixpanel answers with.</summary>
internal static class ResponseBodies
{
    public static readonly byte[] Success = "1"u8.ToArray();

    public static readonly byte[] VerboseSuccess = """{"status":1,"error":null}"""u8.ToArray();

    public static byte[] Error(int statusCode, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("code"u8, statusCode);
            writer.WriteNumber("status"u8, 0);
            writer.WriteString("error"u8, message);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] FailedRecords(int imported, IEnumerable<FailedRecord> failures)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("code"u8, 400);
            writer.WriteNumber("status"u8, 0);
            writer.WriteString("error"u8, "some data points in the request failed validation");
            writer.WriteNumber("num_records_imported"u8, imported);
            writer.WriteStartArray("failed_records"u8);
            foreach (var failure in failures)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index"u8, failure.Index);
                writer.WriteString("insert_id"u8, failure.InsertId);
                writer.WriteString("field"u8, failure.Field);
                writer.WriteString("message"u8, failure.Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>One entry of <c>failed_records</c>.</summary>
internal readonly record struct FailedRecord(int Index, string? InsertId, string Field, string Message);
