using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Protocol;

/// <summary>
/// What the client puts on the wire, checked against the request bodies of Mixpanel's ingestion OpenAPI document: the
/// real client, on disk in a temporary folder and a fake clock, delivers to a local Mixpanel server, and every body
/// the server received is checked against the schema of its endpoint, every record against its operation's.
/// </summary>
public sealed class RequestBodyConformanceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private enum Plan
    {
        Free,
        Premium,
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task FlushAsync_EveryOperationThatSendsARecord_SendsBodiesThatConformToTheIngestionSchemas(IdMergeApi idMerge)
    {
        using var harness = new ClientHarness(_directory.Path, idMerge);
        var client = harness.Client;

        client.OptOutTracking();
        client.OptInTracking();
        client.People.Set("plan", "free");
        client.Register(EveryValueType());
        client.RegisterOnce(new Dictionary<string, object?> { ["first_seen"] = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.FromHours(2)) });
        client.Track("Viewed Pricing");
        client.Track("Every Value", EveryValueType());
        client.TimeEvent("Checkout");
        harness.Time.Advance(TimeSpan.FromMilliseconds(1500));
        client.Track("Checkout", new Dictionary<string, object?> { ["items"] = 3 });
        client.Identify("user-1234");
        if (idMerge == IdMergeApi.Original)
        {
            client.Alias("account-1234");
        }

        client.SetGroup("company", "acme");
        client.SetGroup("team_id", 42);
        client.SetGroup("region_id", 7L);
        client.SetGroup("project_id", new object[] { 1, "two" });
        client.AddGroup("project_id", 3);
        client.RemoveGroup("project_id", "two");
        client.Track("Joined Team");
        client.TrackWithGroups("Shared Doc", new Dictionary<string, object?> { ["pages"] = 2 }, new Dictionary<string, object> { ["team_id"] = 9, ["desk_id"] = new[] { "a", "b" } });

        var people = client.People;
        people.Set(EveryValueType());
        people.Set("plan", Plan.Premium);
        people.SetOnce(new Dictionary<string, object?> { ["signed_up"] = new DateTime(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc), ["referrer"] = null });
        people.SetOnce("first_plan", "free");
        people.Increment("logins");
        people.Increment("credits", -2.5);
        people.Append("visited", "pricing");
        people.Append("carts", new Dictionary<string, object?> { ["items"] = 3, ["total"] = 59.97m });
        people.Union("tags", ["beta", 7, 2.5]);
        people.Remove("tags", "beta");
        people.Unset("nickname", "old_plan");
        people.DeleteUser();

        var group = client.GetGroup("company", "acme");
        group.Set(EveryValueType());
        group.SetOnce(new Dictionary<string, object?> { ["founded"] = 1999 });
        group.Union("regions", ["eu", "us", 3]);
        group.Remove("regions", "us");
        group.Unset("size", "founded");
        group.DeleteGroup();

        client.Reset();
        client.Track("Viewed Login");
        client.Identify("user-5678");

        // Opting out discards what is queued: what came before goes out first.
        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await client.FlushAsync(patience.Token);
        }

        client.OptOutTracking();
        client.OptInTracking("user-5678", new Dictionary<string, object?> { ["source"] = "settings" });

        var sent = await DeliverAsync(harness);

        sent.Violations.Select(static v => $"{v.Endpoint} {v.Violation}").Should().BeEmpty();
        sent.RecordSchemas.Should().BeEquivalentTo(
            "track-event",
            "engage-set", "engage-set-once", "engage-add", "engage-append", "engage-union", "engage-remove", "engage-unset", "engage-delete",
            "groups-set", "groups-set-once", "groups-union", "groups-remove", "groups-unset", "groups-delete");
        sent.EventNames.Should().Contain(["$opt_in", "Every Value", "Checkout", "Joined Team", "Shared Doc", "Viewed Login"]);
        if (idMerge == IdMergeApi.Original)
        {
            sent.EventNames.Should().Contain(["$identify", "$create_alias"]);
        }

        sent.Events.Should().ContainSingle(static e => e.GetProperty("event").GetString() == "Checkout")
            .Which.GetProperty("properties").GetProperty("$duration").GetDouble().Should().Be(1.5);
    }

    [Theory]
    [InlineData(42)]
    [InlineData(9_007_199_254_740_993L)]
    public async Task FlushAsync_GroupUpdatesWithAnIntegerGroupId_SendTheIdAsTheStringTheSchemaTypes(object groupId)
    {
        using var harness = new ClientHarness(_directory.Path);
        var group = harness.Client.GetGroup("team_id", groupId);
        group.Set(new Dictionary<string, object?> { ["name"] = "Platform" });
        group.SetOnce(new Dictionary<string, object?> { ["created"] = 2026 });
        group.Union("members", ["ana", "li"]);
        group.Remove("members", "li");
        group.Unset("name");
        group.DeleteGroup();

        var sent = await DeliverAsync(harness);

        sent.Records.Should().HaveCount(6).And.OnlyContain(r => r.GetProperty("$group_id").GetRawText() == "\"" + groupId + "\"");
        sent.Violations.Should().BeEmpty();
    }

    [Fact]
    public void Union_OfAnEmptyListOrOfValuesOtherThanNumbersAndStrings_IsRefusedAtTheCallAsTheSchemasRefuseIt()
    {
        using var harness = new ClientHarness(_directory.Path);
        var client = harness.Client;
        client.Identify("user-1234");
        var group = client.GetGroup("company", "acme");

        foreach (var union in new Action[]
        {
            () => client.People.Union("empty", []),
            () => client.People.Union("flags", [true, null, 1]),
            () => client.People.Union("shapes", [new Dictionary<string, object?> { ["side"] = 2 }, new[] { 1, 2 }]),
            () => group.Union("empty", []),
            () => group.Union("flags", [false, "beta"]),
        })
        {
            union.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("values");
        }

        harness.Sent.Records.Should().ContainSingle(r => r.EventName == "$identify", "nothing else was sent");
    }

    [Theory]
    [InlineData(null)]
    [InlineData(5)]
    [InlineData(true)]
    [InlineData("")]
    public void Track_WithATokenPropertyThatIsNotAString_IsRefusedAtTheCallAsTheSchemaRefusesIt(object? token)
    {
        using var harness = new ClientHarness(_directory.Path);

        var track = () => harness.Client.Track("Viewed Pricing", new Dictionary<string, object?> { ["token"] = token });

        track.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        harness.Client.Diagnostics.Accepted.Should().Be(0);
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>Every kind of value the client accepts for a property.</summary>
    private static Dictionary<string, object?> EveryValueType() => new()
    {
        ["text"] = "hello",
        ["long_text"] = new string('x', 300),
        ["empty_text"] = "",
        ["flag"] = true,
        ["off"] = false,
        ["count"] = 42,
        ["big"] = long.MaxValue,
        ["negative"] = (short)-3,
        ["small"] = (byte)7,
        ["signed_small"] = (sbyte)-7,
        ["unsigned"] = 40_000u,
        ["unsigned_short"] = (ushort)65_000,
        ["huge"] = ulong.MaxValue,
        ["ratio"] = 0.25,
        ["single"] = 1.5f,
        ["price"] = 19.99m,
        ["letter"] = 'c',
        ["when"] = new DateTime(2026, 11, 23, 8, 30, 0, DateTimeKind.Utc),
        ["local_when"] = new DateTime(2026, 11, 23, 8, 30, 0, DateTimeKind.Local),
        ["at"] = new DateTimeOffset(2026, 11, 23, 9, 30, 0, TimeSpan.FromHours(1)),
        ["id"] = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"),
        ["plan"] = Plan.Premium,
        ["nothing"] = null,
        ["tags"] = new List<string> { "a", "b" },
        ["mixed"] = new object?[] { 1, "two", 3.0, null, true },
        ["empty_list"] = Array.Empty<int>(),
        ["nested"] = new Dictionary<string, object?>
        {
            ["level"] = 1,
            ["inner"] = new Dictionary<string, object?> { ["deep"] = new Dictionary<string, object?> { ["deepest"] = "x" } },
        },
    };

    private static async Task<SentBodies> DeliverAsync(ClientHarness harness, bool expectAccepted = true)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await harness.Client.FlushAsync(patience.Token);
        return SentBodies.From(harness.Server, expectAccepted);
    }

    /// <summary>Every request body the server received, parsed, and what the schemas say of it.</summary>
    private sealed class SentBodies
    {
        public required List<JsonElement> Records { get; init; }

        public required List<JsonElement> Events { get; init; }

        public required List<(MixpanelEndpoint Endpoint, SchemaViolation Violation)> Violations { get; init; }

        public required HashSet<string> RecordSchemas { get; init; }

        public IEnumerable<string?> EventNames => Events.Select(static e => e.GetProperty("event").GetString());

        public static SentBodies From(LocalMixpanelServer server, bool expectAccepted)
        {
            var requests = server.Requests;
            requests.Should().NotBeEmpty();
            if (expectAccepted)
            {
                requests.Should().OnlyContain(static r => r.StatusCode == 200 && r.RejectedRecordCount == 0, "the local server accepts every record");
            }

            requests.Should().OnlyContain(static r => r.ContentType != null && r.ContentType.StartsWith("application/json", StringComparison.Ordinal));

            var records = new List<JsonElement>();
            var events = new List<JsonElement>();
            var violations = new List<(MixpanelEndpoint, SchemaViolation)>();
            var schemas = new HashSet<string>(StringComparer.Ordinal);
            foreach (var request in requests)
            {
                var endpoint = request.Endpoint ?? throw new InvalidOperationException($"The client posted to {request.Path}.");
                using var document = JsonDocument.Parse(request.DecodedBody);
                var body = document.RootElement;
                List<JsonElement> bodyRecords = body.ValueKind == JsonValueKind.Array ? [.. body.EnumerateArray()] : [];
                foreach (var record in bodyRecords)
                {
                    records.Add(record.Clone());
                    if (endpoint == MixpanelEndpoint.Track)
                    {
                        events.Add(records[^1]);
                    }

                    schemas.Add(RequestBodySchemas.RecordSchemaName(endpoint, record) ?? "(none)");
                }

                violations.AddRange(RequestBodySchemas.Shared.ValidateBody(endpoint, body).Select(v => (endpoint, v)));
            }

            if (expectAccepted)
            {
                records.Should().HaveCount(server.Records.Count, "every record the server accepted is checked");
            }

            return new SentBodies { Records = records, Events = events, Violations = violations, RecordSchemas = schemas };
        }
    }
}
