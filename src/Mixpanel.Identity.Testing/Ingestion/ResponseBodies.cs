using System.Buffers;
using System.Text.Json;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>The bodies Mixpanel answers with.</summary>
internal static class ResponseBodies
{
    public static readonly byte[] Success = "1"u8.ToArray();

    public static readonly byte[] VerboseSuccess = """{"status":1,"error":null}"""u8.ToArray();

    // A 1x1 transparent GIF: what /track?img=1 answers, for tracking pixels.
    public static readonly byte[] Pixel = Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    /// <summary>An error, as <c>verbose=1</c> answers it: <c>{"code":...,"status":0,"error":"..."}</c>.</summary>
    public static byte[] Error(int statusCode, string message) => Write(128, writer =>
    {
        writer.WriteNumber("code"u8, statusCode);
        writer.WriteNumber("status"u8, 0);
        writer.WriteString("error"u8, message);
    });

    /// <summary>
    /// An error as <c>/import</c> answers it (OpenAPI <c>StrictUnauthorized</c>, <c>StrictTooLarge</c>...):
    /// <c>{"code":401,"error":"...","status":"Unauthorized"}</c>.
    /// </summary>
    public static byte[] ImportError(int statusCode, string message) => Write(128, writer =>
    {
        writer.WriteNumber("code"u8, statusCode);
        writer.WriteString("error"u8, message);
        writer.WriteString("status"u8, StatusText(statusCode));
    });

    /// <summary><c>/import?strict=1</c> accepted every record (OpenAPI <c>StrictReceived</c>).</summary>
    public static byte[] ImportSuccess(int imported) => Write(64, writer =>
    {
        writer.WriteNumber("code"u8, 200);
        writer.WriteNumber("num_records_imported"u8, imported);
        writer.WriteString("status"u8, "OK");
    });

    /// <summary>
    /// Some records failed validation: <c>failed_records</c> names each one. <paramref name="importShape"/> gives the
    /// status as <c>/import?strict=1</c> does (<c>"Bad Request"</c>, OpenAPI <c>StrictInvalid</c>); otherwise it is 0, as
    /// every verbose answer's is.
    /// </summary>
    public static byte[] FailedRecords(int imported, IEnumerable<FailedRecord> failures, bool importShape) => Write(256, writer =>
    {
        writer.WriteNumber("code"u8, 400);
        if (importShape)
        {
            writer.WriteString("status"u8, StatusText(400));
        }
        else
        {
            writer.WriteNumber("status"u8, 0);
        }

        writer.WriteString("error"u8, "some data points in the request failed validation");
        writer.WriteNumber("num_records_imported"u8, imported);
        writer.WriteStartArray("failed_records"u8);
        foreach (var failure in failures)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, failure.Index);

            // The OpenAPI schema names it insert_id, the /import guide's example $insert_id: both are written.
            writer.WriteString("insert_id"u8, failure.InsertId);
            writer.WriteString("$insert_id"u8, failure.InsertId);
            writer.WriteString("field"u8, failure.Field);
            writer.WriteString("message"u8, failure.Message);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    private static string StatusText(int statusCode) => statusCode switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        _ => "Error",
    };

    private static byte[] Write(int capacity, Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(capacity);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>One entry of <c>failed_records</c>.</summary>
internal readonly record struct FailedRecord(int Index, string? InsertId, string Field, string Message);
