using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Payloads;
using Xunit;

namespace Mixpanel.Identity.Tests.Server;

/// <summary>
/// <see cref="ImportEventWriter"/> writes the common values as bytes itself: its output must be exactly
/// <see cref="System.Text.Json.Utf8JsonWriter"/>'s, or an event's derived insert id would change with the path taken
/// and a history imported twice would be kept twice.
/// </summary>
public sealed class ImportEventWriterTests
{
    private static readonly DateTimeOffset Time = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> Texts()
    {
        var texts = new TheoryData<string>();
        for (var c = 0; c < 128; c++)
        {
            texts.Add("a" + (char)c + "b");
        }

        foreach (var text in new[] { "", "é", "naïve café", "日本語", "😀", "line\u2028break", "<b>&amp;</b>", "it's", "`tick`", new string('x', 300), new string('x', 254) + "😀", "\u00A0" })
        {
            texts.Add(text);
        }

        return texts;
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void Write_AnyText_AsEventNameDistinctIdPropertyNameAndValue_IsWhatUtf8JsonWriterWrites(string text)
    {
        var name = "e" + text;
        // A property name is at most 255 characters, as Mixpanel takes them; longer ones are refused at the call.
        var propertyName = name.Length > 255 ? name[..255] : name;
        var item = new MixpanelImportEvent(name, name.Length > 255 ? "user" : name, Time, new Dictionary<string, object?> { [propertyName] = text, ["plain"] = text });

        Written(item).Should().Be(ImportEventJson.AsUtf8JsonWriterWritesIt(item));
    }

    public static TheoryData<object?> Values() =>
    [
        0, 1, -1, int.MinValue, int.MaxValue, 0L, long.MinValue, long.MaxValue, 0.0, -0.0, 1.0, 0.1, 19.99, -123456789.125, 1e300, -1e-300,
        5e-324, double.MaxValue, double.MinValue, 1.5f, 12.5m, (short)-3, (byte)7, 42u, ulong.MaxValue, true, false, null,
        new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
        Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), DayOfWeek.Friday, new[] { "a", "é" }, new List<object?> { 1, 2.5, null },
        new Dictionary<string, object?> { ["inner"] = "x\"y", ["n"] = 1 },
    ];

    [Theory]
    [MemberData(nameof(Values))]
    public void Write_AnyValue_IsWhatUtf8JsonWriterWrites(object? value)
    {
        var item = new MixpanelImportEvent("Purchased", "user-1", Time, new Dictionary<string, object?> { ["value"] = value, ["after"] = 1 });

        Written(item).Should().Be(ImportEventJson.AsUtf8JsonWriterWritesIt(item));
    }

    [Fact]
    public void Write_NamesInTheSameOrderAnotherOrderOrNew_EachEventGetsItsOwnNames()
    {
        // A copy of "first" made at run time: equal to the literal, not the same instance.
        var first = new string("first".ToCharArray());
        Dictionary<string, object?>[] properties =
        [
            new() { ["first"] = 1, ["second"] = 2 },
            new() { ["first"] = 1, ["second"] = 2 },
            new() { [first] = 1, ["second"] = 2 },
            new() { ["second"] = 2, ["first"] = 1 },
            new() { ["second"] = 2, ["third"] = 3 },
            new() { ["third"] = 3 },
            new() { ["first"] = 1, ["second"] = 2, ["third"] = 3 },
        ];
        using var writer = new ImportEventWriter();

        foreach (var item in properties.Select(p => new MixpanelImportEvent("Ordered", "user-1", Time, p)))
        {
            Written(writer, item).Should().Be(ImportEventJson.AsUtf8JsonWriterWritesIt(item));
        }
    }

    [Fact]
    public void Write_MoreNamesThanItKeeps_WritesEachRightEveryTime()
    {
        // Twice through more names than are kept, five to an event and shifted by two each time, so that names come
        // back at other places, from the kept ones and from beyond them.
        var names = Enumerable.Range(0, ImportEventWriter.MaxKeptNames + 20).Select(n => "name-" + n).ToList();
        using var writer = new ImportEventWriter();
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i + 5 <= names.Count; i += 2)
            {
                var item = new MixpanelImportEvent("Many", "user-1", Time, names.Skip(i).Take(5).ToDictionary(n => n, object? (n) => n.Length));

                Written(writer, item).Should().Be(ImportEventJson.AsUtf8JsonWriterWritesIt(item));
            }
        }
    }

    [Fact]
    public void Write_GivenInsertId_IsKept()
    {
        var item = new MixpanelImportEvent("Given", "user-1", Time, insertId: "order-42");

        Written(item).Should().EndWith("\"$insert_id\":\"order-42\"}}").And.Be(ImportEventJson.AsUtf8JsonWriterWritesIt(item));
    }

    private static string Written(MixpanelImportEvent item)
    {
        using var writer = new ImportEventWriter();
        return Written(writer, item);
    }

    private static string Written(ImportEventWriter writer, MixpanelImportEvent item)
    {
        var json = new ByteBuffer();
        json.Write("junk before"u8);
        var start = json.Length;
        writer.Write(json, item);
        return Encoding.UTF8.GetString(json.WrittenSpan.Slice(start));
    }
}
