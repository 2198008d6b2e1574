using System.Text.Json;

namespace Mixpanel.Identity.Protocol;

/// <summary>What to do with the records of one request, given Mixpanel's answer.</summary>
internal enum ReplyAction
{
    /// <summary>Mixpanel took every record: they are done with.</summary>
    Delivered,

    /// <summary>
    /// Mixpanel named invalid records (<see cref="Reply.FailedIndexes"/>): drop those; the rest were ingested, unless
    /// <see cref="Reply.Imported"/> says fewer were, in which case the rest are sent again.
    /// </summary>
    DropNamed,

    /// <summary>
    /// Mixpanel refused the request for its content without naming records, or as too large (413): send it again in
    /// halves. A single record refused this way is dropped (<see cref="Reply.TooLarge"/> says which reason counts).
    /// </summary>
    Split,

    /// <summary>A transient failure, or an answer that is not Mixpanel's: keep the records and send them again later.</summary>
    Retry,

    /// <summary>The configuration is wrong (token, credentials, host): keep the records, stop sending.</summary>
    Halt,
}

/// <summary>Mixpanel's answer to one request, classified.</summary>
/// <remarks>
/// <see cref="FailedReasons"/> holds, for each of <see cref="FailedIndexes"/>, what Mixpanel said was wrong with that record
/// (<c>/import</c> with <c>strict=1</c>). It is the server's text: handed back to the caller who sent the record, never logged.
/// </remarks>
internal readonly record struct Reply(ReplyAction Action, string Why, IReadOnlyList<int>? FailedIndexes = null, int? Imported = null, bool TooLarge = false, IReadOnlyList<string>? FailedReasons = null);

/// <summary>
/// The rules for Mixpanel's answers (ingestion API reference, responses of <c>/track</c>, <c>/engage</c>,
/// <c>/groups</c> and <c>/import</c> with <c>verbose=1</c>): a pure function of the status and the body. Only
/// Mixpanel's own success answers count as delivered; an answer the rules do not recognise (a proxy's, a captive
/// portal's, a redirect) keeps the records. <see cref="Reply.Why"/> is written here, never taken from the server:
/// a server's text can carry property values and is never logged.
/// </summary>
internal static class Replies
{
    private const int MaxReasonLength = 255;

    public static Reply Classify(int status, ReadOnlySpan<byte> body, int recordCount)
    {
        if (status is >= 200 and < 300)
        {
            var answer = Read(body, recordCount);
            return answer.Kind switch
            {
                BodyKind.Success => new Reply(ReplyAction.Delivered, "accepted"),
                BodyKind.FailedRecords => new Reply(ReplyAction.DropNamed, $"HTTP {status}, status 0 naming records", answer.Indexes, answer.Imported, FailedReasons: answer.Reasons),

                // A refusal that names no record is about the request as a whole: the token, the project. No record
                // would fare better on its own.
                BodyKind.Failure => new Reply(ReplyAction.Halt, $"HTTP {status} with status 0 naming no record: a configuration error"),
                _ => new Reply(ReplyAction.Retry, $"HTTP {status} with a body that is not Mixpanel's answer"),
            };
        }

        switch (status)
        {
            case 400:
                var answer = Read(body, recordCount);
                return answer.Kind switch
                {
                    BodyKind.FailedRecords => new Reply(ReplyAction.DropNamed, "HTTP 400 naming records", answer.Indexes, answer.Imported, FailedReasons: answer.Reasons),
                    BodyKind.Failure => new Reply(ReplyAction.Split, "HTTP 400 naming no record"),
                    _ => new Reply(ReplyAction.Retry, "HTTP 400 with a body that is not Mixpanel's answer"),
                };
            case 413:
                return new Reply(ReplyAction.Split, "HTTP 413: too large", TooLarge: true);
            case 401 or 403:
                return new Reply(ReplyAction.Halt, $"HTTP {status}: the project token or credentials were refused");
            case 404 or 405:
                return new Reply(ReplyAction.Halt, $"HTTP {status}: the API host does not serve Mixpanel's ingestion API");
            case 408 or 429 or >= 500:
                return new Reply(ReplyAction.Retry, $"HTTP {status}");
            default:
                // 1xx, 3xx (redirects are never followed), 407 from a proxy, 409 and the rest: not Mixpanel's answers.
                return new Reply(ReplyAction.Retry, $"HTTP {status}, which Mixpanel does not answer");
        }
    }

    private enum BodyKind
    {
        Unrecognised,
        Success,
        Failure,
        FailedRecords,
    }

    private readonly record struct Answer(BodyKind Kind, IReadOnlyList<int>? Indexes = null, int? Imported = null, IReadOnlyList<string>? Reasons = null);

    private static Answer Read(ReadOnlySpan<byte> body, int recordCount)
    {
        body = Trim(body);
        if (body.Length == 1 && body[0] == (byte)'1')
        {
            return new Answer(BodyKind.Success);
        }

        if (body.Length == 1 && body[0] == (byte)'0')
        {
            return new Answer(BodyKind.Failure);
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            int? statusValue = null;
            var hasError = false;
            int? imported = null;
            List<int>? indexes = null;
            List<string>? reasons = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("status"u8))
                {
                    // /track, /engage and /groups say 1 or 0; /import says "OK" (or an error's name, such as "Bad Request").
                    reader.Read();
                    statusValue = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var s) ? s
                        : reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("OK"u8) ? 1
                        : reader.TokenType == JsonTokenType.String ? 0
                        : -1;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    hasError = reader.TokenType == JsonTokenType.String;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("num_records_imported"u8))
                {
                    reader.Read();
                    imported = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("failed_records"u8))
                {
                    reader.Read();
                    (indexes, reasons) = ReadFailures(ref reader, recordCount);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return default;
            }

            if (statusValue == 1 && indexes is not { Count: > 0 })
            {
                return new Answer(BodyKind.Success);
            }

            if (indexes is { Count: > 0 })
            {
                return new Answer(BodyKind.FailedRecords, indexes, imported, reasons);
            }

            return statusValue == 0 || hasError ? new Answer(BodyKind.Failure) : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>
    /// The indexes of <c>failed_records</c> that name a record of the request, with what each entry says of it
    /// (<c>field: message</c>); none when it names none.
    /// </summary>
    private static (List<int>? Indexes, List<string>? Reasons) ReadFailures(ref Utf8JsonReader reader, int recordCount)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return default;
        }

        var indexes = new List<int>();
        var reasons = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            int? index = null;
            string? field = null;
            string? message = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueTextEquals("index"u8) ? 1 : reader.ValueTextEquals("field"u8) ? 2 : reader.ValueTextEquals("message"u8) ? 3 : 0;
                reader.Read();
                if (name == 1 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
                {
                    index = value;
                }
                else if (name > 1 && reader.TokenType == JsonTokenType.String)
                {
                    var text = reader.GetString();
                    text = text is { Length: > MaxReasonLength } ? text.Substring(0, MaxReasonLength) : text;
                    (field, message) = name == 2 ? (text, message) : (field, text);
                }
                else
                {
                    reader.Skip();
                }
            }

            if (index is { } i && i >= 0 && i < recordCount && !indexes.Contains(i))
            {
                indexes.Add(i);
                reasons.Add(field is null ? message ?? "refused" : field + ": " + (message ?? "refused"));
            }
        }

        return indexes.Count > 0 ? (indexes, reasons) : default;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> text)
    {
        var start = 0;
        var end = text.Length;
        while (start < end && IsWhiteSpace(text[start]))
        {
            start++;
        }

        while (end > start && IsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return text.Slice(start, end - start);

        static bool IsWhiteSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
    }
}
