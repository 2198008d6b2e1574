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
internal readonly record struct Reply(ReplyAction Action, string Why, IReadOnlyList<int>? FailedIndexes = null, int? Imported = null, bool TooLarge = false);

/// <summary>
/// The rules for Mixpanel's answers (ingestion API reference, responses of <c>/track</c>, <c>/engage</c>,
/// <c>/groups</c> and <c>/import</c> with <c>verbose=1</c>): a pure function of the status and the body. Only
/// Mixpanel's own success answers count as delivered; an answer the rules do not recognise (a proxy's, a captive
/// portal's, a redirect) keeps the records. <see cref="Reply.Why"/> is written here, never taken from the server:
/// a server's text can carry property values and is never logged.
/// </summary>
internal static class Replies
{
    public static Reply Classify(int status, ReadOnlySpan<byte> body, int recordCount)
    {
        if (status is >= 200 and < 300)
        {
            var answer = Read(body, recordCount);
            return answer.Kind switch
            {
                BodyKind.Success => new Reply(ReplyAction.Delivered, "accepted"),
                BodyKind.FailedRecords => new Reply(ReplyAction.DropNamed, $"HTTP {status}, status 0 naming records", answer.Indexes, answer.Imported),

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
                    BodyKind.FailedRecords => new Reply(ReplyAction.DropNamed, "HTTP 400 naming records", answer.Indexes, answer.Imported),
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

    private readonly record struct Answer(BodyKind Kind, IReadOnlyList<int>? Indexes = null, int? Imported = null);

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
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("status"u8))
                {
                    reader.Read();
                    statusValue = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var s) ? s : -1;
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
                    indexes = ReadIndexes(ref reader, recordCount);
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
                return new Answer(BodyKind.FailedRecords, indexes, imported);
            }

            return statusValue == 0 || hasError ? new Answer(BodyKind.Failure) : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    /// <summary>The indexes of <c>failed_records</c> that name a record of the request; none when it names none.</summary>
    private static List<int>? ReadIndexes(ref Utf8JsonReader reader, int recordCount)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }

        var indexes = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isIndex = reader.ValueTextEquals("index"u8);
                reader.Read();
                if (isIndex && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var index) &&
                    index >= 0 && index < recordCount && !indexes.Contains(index))
                {
                    indexes.Add(index);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return indexes.Count > 0 ? indexes : null;
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
