using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Payloads;

public sealed class EventPayloadTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ClientHarness _harness;

    public EventPayloadTests() => _harness = new ClientHarness(_directory.Path);

    private enum Plan
    {
        Free,
        Premium,
    }

    public void Dispose()
    {
        _harness.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void Track_Always_CarriesTheAutomaticProperties()
    {
        _harness.Client.Track("Opened App");

        var properties = _harness.Sent.Events.Single().Properties;
        properties.GetProperty("token").GetString().Should().Be(ClientHarness.Token);
        properties.GetProperty("distinct_id").GetString().Should().Be(_harness.Client.DistinctId);
        properties.GetProperty("time").GetInt64().Should().Be(_harness.Time.GetUtcNow().ToUnixTimeMilliseconds());
        properties.GetProperty("mp_lib").GetString().Should().Be("dotnet");
        properties.GetProperty("$lib_version").GetString().Should().MatchRegex(@"^\d+\.\d+\.\d+");
        properties.GetProperty("$os").GetString().Should().Be("Linux");
        properties.GetProperty("$device_id").GetString().Should().Be(_harness.Client.DeviceId);
    }

    [Fact]
    public void Track_SuperPropertiesThatNameAutomaticOnes_WinOverThemAndLoseToTheCall()
    {
        _harness.Client.Register(new Dictionary<string, object?> { ["$os"] = "Custom OS", ["mp_lib"] = "wrapper", ["größe"] = "groß \"1\"" });
        _harness.Client.Track("First");
        _harness.Client.Track("Second", new Dictionary<string, object?> { ["mp_lib"] = "call", ["größe"] = 2 });
        _harness.Client.Identify("user-ü");
        _harness.Client.Track("Third");

        var events = _harness.Sent.Events.Where(e => e.EventName != "$identify").ToList();
        events[0].Property("$os").Should().Be("Custom OS");
        events[0].Property("mp_lib").Should().Be("wrapper");
        events[0].Property("größe").Should().Be("groß \"1\"");
        events[1].Property("mp_lib").Should().Be("call");
        events[1].Properties.GetProperty("größe").GetInt32().Should().Be(2);
        events[1].Properties.EnumerateObject().Count(p => p.Name == "mp_lib").Should().Be(1, "a property is written once");
        events[2].Property("distinct_id").Should().Be("user-ü");
        events[2].Property("$user_id").Should().Be("user-ü");
        events[2].Property("größe").Should().Be("groß \"1\"");
    }

    [Fact]
    public void Track_ManyEvents_EachGetsItsOwnValidInsertId()
    {
        for (var i = 0; i < 200; i++)
        {
            _harness.Client.Track("Tick");
        }

        var insertIds = _harness.Sent.Events.Select(e => e.Property("$insert_id")).ToList();
        insertIds.Should().OnlyHaveUniqueItems();
        insertIds.Should().OnlyContain(id => id!.Length <= 36 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }

    [Fact]
    public void Track_SupportedValues_AreWrittenAsMixpanelReadsThem()
    {
        var guid = Guid.NewGuid();
        _harness.Client.Track("Typed", new Dictionary<string, object?>
        {
            ["text"] = "hé \"quoted\"",
            ["flag"] = true,
            ["int"] = 42,
            ["long"] = long.MaxValue,
            ["double"] = 1.5,
            ["decimal"] = 19.99m,
            ["byte"] = (byte)7,
            ["nothing"] = null,
            ["utc"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            ["offset"] = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
            ["guid"] = guid,
            ["plan"] = Plan.Premium,
            ["list"] = new List<object?> { 1, "two", null },
            ["array"] = new[] { "a", "b" },
            ["object"] = new Dictionary<string, object?> { ["inner"] = new Dictionary<string, object?> { ["deep"] = 1 } },
            ["typed"] = new Dictionary<string, int> { ["n"] = 3 },
        });

        var p = _harness.Sent.Events.Single().Properties;
        p.GetProperty("text").GetString().Should().Be("hé \"quoted\"");
        p.GetProperty("flag").GetBoolean().Should().BeTrue();
        p.GetProperty("int").GetInt32().Should().Be(42);
        p.GetProperty("long").GetInt64().Should().Be(long.MaxValue);
        p.GetProperty("double").GetDouble().Should().Be(1.5);
        p.GetProperty("decimal").GetDecimal().Should().Be(19.99m);
        p.GetProperty("byte").GetInt32().Should().Be(7);
        p.GetProperty("nothing").ValueKind.Should().Be(JsonValueKind.Null);
        p.GetProperty("utc").GetString().Should().Be("2026-01-02T03:04:05");
        p.GetProperty("offset").GetString().Should().Be("2026-01-02T01:04:05");
        p.GetProperty("guid").GetString().Should().Be(guid.ToString());
        p.GetProperty("plan").GetString().Should().Be("Premium");
        p.GetProperty("list").GetRawText().Should().Be("[1,\"two\",null]");
        p.GetProperty("array").GetRawText().Should().Be("[\"a\",\"b\"]");
        p.GetProperty("object").GetRawText().Should().Be("{\"inner\":{\"deep\":1}}");
        p.GetProperty("typed").GetRawText().Should().Be("{\"n\":3}");
    }

    [Fact]
    public void Track_LongStrings_AreTruncatedTo255CharactersWithoutSplittingASurrogatePair()
    {
        var emojiAtCut = new string('x', 254) + "😀" + "tail";

        _harness.Client.Track(new string('e', 300), new Dictionary<string, object?>
        {
            ["plain"] = new string('a', 300),
            ["emoji"] = emojiAtCut,
            ["nested"] = new[] { new string('b', 300) },
        });

        var sent = _harness.Sent.Events.Single();
        sent.EventName.Should().HaveLength(255);
        sent.Property("plain").Should().HaveLength(255);
        sent.Property("emoji").Should().Be(new string('x', 254));
        sent.Properties.GetProperty("nested")[0].GetString().Should().HaveLength(255);
    }

    [Fact]
    public void Track_CallerMutatesItsDictionaryAfterwards_SendsWhatWasPassed()
    {
        var tags = new List<object?> { "a" };
        var properties = new Dictionary<string, object?> { ["tags"] = tags, ["n"] = 1 };

        _harness.Client.Track("Snapshot", properties);
        tags.Add("b");
        properties["n"] = 2;

        var sent = _harness.Sent.Events.Single().Properties;
        sent.GetProperty("tags").GetArrayLength().Should().Be(1);
        sent.GetProperty("n").GetInt32().Should().Be(1);
    }

    [Fact]
    public void Track_WithItsOwnTimeInsertIdAndDistinctId_UsesThem()
    {
        var when = new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

        _harness.Client.Track("Imported", new Dictionary<string, object?>
        {
            ["time"] = when,
            ["$insert_id"] = "order-1234",
            ["distinct_id"] = "server-user",
        });
        _harness.Client.Track("Seconds", new Dictionary<string, object?> { ["time"] = 1_795_334_400 });

        var sent = _harness.Sent.Events;
        sent[0].Properties.GetProperty("time").GetInt64().Should().Be(when.ToUnixTimeMilliseconds());
        sent[0].Property("$insert_id").Should().Be("order-1234");
        sent[0].DistinctId.Should().Be("server-user");
        sent[1].Properties.GetProperty("time").GetInt64().Should().Be(1_795_334_400_000, "a number below 10^11 is seconds");
    }
}
