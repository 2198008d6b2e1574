#if NET8_0_OR_GREATER
using System.Buffers;
#endif
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Writes a historical event as <c>/import</c> takes it. The common parts (names met before, ASCII text with nothing
/// to escape, whole numbers, doubles, flags, null) are laid down as bytes; the rest (text to escape, dates, lists,
/// objects, other numbers) goes through <see cref="Utf8JsonWriter"/>. Either way the bytes are exactly those
/// <see cref="Utf8JsonWriter"/> writes with <see cref="JsonValues.WriterOptions"/>, so an event's derived insert id
/// never depends on which path wrote it. One importer owns one: it is not for two threads at once.
/// </summary>
internal sealed class ImportEventWriter : IDisposable
{
    /// <summary>Property names kept encoded: a history has a few dozen; a name past this many is encoded where it is written.</summary>
    public const int MaxKeptNames = 1024;

#if NET8_0_OR_GREATER
    // What Utf8JsonWriter writes unescaped with JsonValues.WriterOptions, of ASCII: the printable characters but the
    // quote and the backslash.
    private static readonly SearchValues<byte> Plain =
        SearchValues.Create([.. Enumerable.Range(0x20, 0x7F - 0x20).Select(static c => (byte)c).Where(static c => c is not (byte)'"' and not (byte)'\\')]);
#endif

    // The fixed parts of every event, around its name, time, distinct id and insert id.
    private static readonly byte[] EventKey = Key("{", RecordSerializer.EventName);
    private static readonly byte[] PropertiesAndTimeKeys = [.. Key(",", RecordSerializer.PropertiesName), .. Key("{", RecordSerializer.TimeName)];
    private static readonly byte[] DistinctIdKey = Key(",", RecordSerializer.DistinctIdName);
    private static readonly byte[] InsertIdKey = Key(",", RecordSerializer.InsertIdName);

    private readonly Utf8JsonWriter _writer = new(Stream.Null, JsonValues.WriterOptions);
    private readonly Dictionary<string, byte[]> _names = new(StringComparer.Ordinal);

    // The kept name last written at each of the first 64 places of an event's properties.
    private readonly (string? Name, byte[] Bytes)[] _lastOrder = new (string?, byte[])[64];

    /// <summary>
    /// Appends <paramref name="item"/> to <paramref name="json"/>, with its insert id, derived from its JSON up to there
    /// (<see cref="ContentIds"/>) when it has none. No project token: the credentials name the project.
    /// </summary>
    public void Write(ByteBuffer json, MixpanelImportEvent item)
    {
        var start = json.Length;
        json.Write(EventKey);
        WriteString(json, item.Name.AsSpan());
        json.Write(PropertiesAndTimeKeys);
        WriteInteger(json, item.Time.ToUnixTimeMilliseconds());
        json.Write(DistinctIdKey);
        WriteString(json, item.DistinctId.AsSpan());
        var properties = item.Snapshot.Items;
        for (var i = 0; i < properties.Length; i++)
        {
            json.WriteByte((byte)',');
            WriteName(json, properties[i].Key, i);
            WriteValue(json, properties[i].Value);
        }

        Span<byte> derived = stackalloc byte[ContentIds.Length];
        if (item.InsertId is null)
        {
            ContentIds.Write(json.WrittenSpan.Slice(start), derived);
        }

        json.Write(InsertIdKey);
        if (item.InsertId is { } given)
        {
            WriteString(json, given.AsSpan());
        }
        else
        {
            json.WriteByte((byte)'"');
            json.Write(derived);
            json.WriteByte((byte)'"');
        }

        json.WriteByte((byte)'}');
        json.WriteByte((byte)'}');
    }

    public void Dispose() => _writer.Dispose();

    /// <summary><paramref name="name"/> as a JSON key, quoted and with its colon, after <paramref name="before"/>.</summary>
    private static byte[] Key(string before, JsonEncodedText name) =>
        [.. Encoding.UTF8.GetBytes(before + "\""), .. name.EncodedUtf8Bytes.ToArray(), (byte)'"', (byte)':'];

    private static void WriteInteger(ByteBuffer json, long number)
    {
        Utf8Formatter.TryFormat(number, json.GetSpan(20), out var written);
        json.Advance(written);
    }

    private void WriteName(ByteBuffer json, string name, int position)
    {
        // Events of a history mostly name their properties in the same order: the name at this place last time is
        // the likeliest.
        if (position < _lastOrder.Length && string.Equals(_lastOrder[position].Name, name, StringComparison.Ordinal))
        {
            json.Write(_lastOrder[position].Bytes);
            return;
        }

        if (_names.TryGetValue(name, out var kept))
        {
            json.Write(kept);
            if (position < _lastOrder.Length)
            {
                _lastOrder[position] = (name, kept);
            }

            return;
        }

        var encoded = Key("", JsonEncodedText.Encode(name, JsonValues.WriterOptions.Encoder));
        json.Write(encoded);
        if (_names.Count < MaxKeptNames)
        {
            _names.Add(name, encoded);
        }
    }

    private void WriteValue(ByteBuffer json, object? value)
    {
        switch (value)
        {
            case string text:
                WriteString(json, JsonValues.Truncate(text));
                return;
            case int number:
                WriteInteger(json, number);
                return;
            case long number:
                WriteInteger(json, number);
                return;
            case bool flag:
                json.Write(flag ? "true"u8 : "false"u8);
                return;
            case null:
                json.Write("null"u8);
                return;
#if NET8_0_OR_GREATER
            case double number:
                // As Utf8JsonWriter formats a double: the shortest text that reads back as the same number.
                Utf8Formatter.TryFormat(number, json.GetSpan(32), out var written);
                json.Advance(written);
                return;
#endif
            default:
                _writer.Reset(json);
                JsonValues.Write(_writer, value);
                _writer.Flush();
                return;
        }
    }

    private void WriteString(ByteBuffer json, ReadOnlySpan<char> text)
    {
#if NET8_0_OR_GREATER
        var span = json.GetSpan(text.Length + 2);
        if (System.Text.Ascii.FromUtf16(text, span.Slice(1), out var written) == OperationStatus.Done && span.Slice(1, written).IndexOfAnyExcept(Plain) < 0)
        {
            span[0] = (byte)'"';
            span[written + 1] = (byte)'"';
            json.Advance(written + 2);
            return;
        }
#endif
        _writer.Reset(json);
        _writer.WriteStringValue(text);
        _writer.Flush();
    }
}
