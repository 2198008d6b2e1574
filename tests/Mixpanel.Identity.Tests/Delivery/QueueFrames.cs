using System.Text;
using System.Text.Json;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>Frames and records as the engine writes and reads them, for tests of the logs, the queue and the writer alone.</summary>
internal static class QueueFrames
{
    /// <summary>
    /// <paramref name="count"/> frames numbered from <paramref name="firstNumber"/>, each a JSON object naming its number,
    /// recorded at <paramref name="timeMilliseconds"/> (0: a record with no time, as profile updates are), released under
    /// <paramref name="releaseTag"/> (0: none).
    /// </summary>
    public static ByteBuffer Numbered(long firstNumber, int count, int padding = 0, long timeMilliseconds = 0, long releaseTag = 0)
    {
        var frames = new ByteBuffer(1024);
        for (var i = 0; i < count; i++)
        {
            var start = frames.Length;
            frames.GetSpan(RecordFrame.HeaderSize);
            frames.Advance(RecordFrame.HeaderSize);
            frames.Write(Encoding.UTF8.GetBytes($"{{\"n\":{firstNumber + i},\"pad\":\"{new string('x', padding)}\"}}"));
            RecordFrame.Seal(frames, start, firstNumber + i, firstNumber + i, timeMilliseconds, releaseTag);
        }

        return frames;
    }

    /// <summary>Every unread record of <paramref name="log"/>, read in order, as its number.</summary>
    public static List<long> ReadAll(IRecordLog log)
    {
        var numbers = new List<long>();
        while (log.TryPeek(out var header))
        {
            var payload = new ByteBuffer(256);
            if (log.ReadNext(payload))
            {
                numbers.Add(header.Number);
            }
        }

        return numbers;
    }

    /// <summary>Every unread record of <paramref name="log"/>, read in order, as its JSON.</summary>
    public static List<JsonElement> Payloads(IRecordLog log)
    {
        var payloads = new List<JsonElement>();
        while (log.TryPeek(out _))
        {
            var payload = new ByteBuffer(256);
            if (log.ReadNext(payload))
            {
                using var document = JsonDocument.Parse(payload.WrittenSpan.ToArray());
                payloads.Add(document.RootElement.Clone());
            }
        }

        return payloads;
    }

    /// <summary>Properties as a record carries them.</summary>
    public static PropertyMap Properties(params (string Name, object? Value)[] properties) =>
        new([.. properties.Select(static property => new KeyValuePair<string, object?>(property.Name, property.Value))]);
}
