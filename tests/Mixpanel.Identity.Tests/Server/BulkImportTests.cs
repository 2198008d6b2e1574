using FluentAssertions;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Server;

/// <summary><see cref="MixpanelServerClient.ImportAsync"/> against the local server's <c>/import</c>, with its credentials.</summary>
public sealed class BulkImportTests
{
    private const string Secret = "import-secret";

    [Fact]
    public async Task ImportAsync_History_ArrivesInRequestsOf2000GzippedStrictWithTheSecret()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);
        var reports = new List<MixpanelImportProgress>();

        var result = await client.ImportAsync(History(4_500), new SynchronousProgress(reports.Add), DeliveryHarness.Patience);

        result.Should().Be(result with { Imported = 4_500, Rejected = 0 });
        result.Failures.Should().BeEmpty();
        reports.Should().HaveCount(3).And.Contain(new MixpanelImportProgress(4_500, 0));
        harness.Server.Requests.Select(r => r.RecordCount).Should().BeEquivalentTo([2_000, 2_000, 500]);
        harness.Server.Requests.Should().OnlyContain(r => r.Endpoint == MixpanelEndpoint.Import && r.ContentEncoding == "gzip");
        harness.Server.Requests.Should().OnlyContain(r => r.Strict);
        var records = harness.Server.Records;
        records.Should().HaveCount(4_500).And.OnlyContain(r => r.Endpoint == MixpanelEndpoint.Import);
        records.Select(r => r.Properties.GetProperty("n").GetInt32()).Should().BeEquivalentTo(Enumerable.Range(0, 4_500));
        var first = records.Single(r => r.Properties.GetProperty("n").GetInt32() == 0);
        first.Time.Should().Be(Started.AddDays(-30).ToUnixTimeMilliseconds(), "each event keeps its own time");
        first.DistinctId.Should().Be("user-0");
        first.InsertId.Should().MatchRegex("^[0-9a-f]{32}$");
        first.Properties.TryGetProperty("token", out _).Should().BeFalse("the credentials name the project");
    }

    [Fact]
    public async Task ImportAsync_RequestBody_IsWhatTheJsonWriterWritesWithEachDerivedIdFromItsEventsBytes()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);
        MixpanelImportEvent[] events =
        [
            new("Purchased", "user-1", Started.AddDays(-3), new Dictionary<string, object?>
            {
                ["item"] = "book", ["price"] = 19.99, ["quantity"] = 2, ["gift"] = true, ["note"] = null, ["order"] = 1_764_000_000_000L,
            }),
            new("Café \"visité\"", "utilisateur-é", Started.AddDays(-2), new Dictionary<string, object?>
            {
                ["ville"] = "Montréal", ["path"] = "C:\\x", ["when"] = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
                ["tags"] = new[] { "a", "b" }, ["long"] = new string('x', 300), ["ratio"] = 0.5f, ["clé"] = 1,
            }),
            new("Given", "user-2", Started.AddDays(-1), insertId: "given-id-1"),
        ];

        await client.ImportAsync(Events(events), cancellationToken: DeliveryHarness.Patience);

        harness.Server.Requests.Should().ContainSingle().Which.DecodedBody.Should().Be("[" + string.Join(",", events.Select(ImportEventJson.AsUtf8JsonWriterWritesIt)) + "]");
    }

    [Fact]
    public async Task ImportAsync_ServiceAccount_SendsItsProjectAndCredentials()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options =>
        {
            options.ServiceAccountUsername = "importer.sa";
            options.ServiceAccountSecret = "sa-secret";
            options.ProjectId = "4242";
        });

        var result = await client.ImportAsync(History(10), cancellationToken: DeliveryHarness.Patience);

        result.Imported.Should().Be(10);
        harness.Server.Requests.Should().ContainSingle().Which.QueryString.Should().Contain("project_id=4242");
    }

    [Fact]
    public async Task ImportAsync_SameHistoryTwice_IsKeptOnceBecauseInsertIdsComeFromContent()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);

        await client.ImportAsync(History(300), cancellationToken: DeliveryHarness.Patience);
        await client.ImportAsync(History(300), cancellationToken: DeliveryHarness.Patience);

        harness.Server.Records.Should().HaveCount(600);
        harness.Server.DeduplicatedRecords.Should().HaveCount(300);
    }

    [Fact]
    public async Task ImportAsync_EventsMixpanelRefuses_AreListedWithItsReasonAndTheRestImported()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);
        var future = Started.AddDays(2);

        var result = await client.ImportAsync(
            Events(
                new MixpanelImportEvent("Viewed", "user-1", Started.AddDays(-8)),
                new MixpanelImportEvent("From the future", "user-1", future, insertId: "late-1"),
                new MixpanelImportEvent("Viewed", "user-2", Started.AddDays(-7))),
            cancellationToken: DeliveryHarness.Patience);

        result.Imported.Should().Be(2);
        result.Rejected.Should().Be(1);
        var failure = result.Failures.Should().ContainSingle().Subject;
        failure.Should().BeEquivalentTo(new { Index = 1L, EventName = "From the future", InsertId = "late-1" });
        failure.Reason.Should().StartWith("properties.time");
        harness.Server.Records.Select(r => r.EventName).Should().Equal("Viewed", "Viewed");
    }

    [Fact]
    public async Task ImportAsync_EventLargerThanMixpanelTakes_IsListedNotSentAndTheImportGoesOn()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);
        var huge = Enumerable.Range(0, 20).ToDictionary(i => "p" + i, object? (_) => Enumerable.Repeat(new string('x', 255), 254).ToList());

        var result = await client.ImportAsync(
            Events(new MixpanelImportEvent("Huge", "user-1", Started.AddDays(-8), huge), new MixpanelImportEvent("Small", "user-1", Started.AddDays(-8))),
            cancellationToken: DeliveryHarness.Patience);

        result.Imported.Should().Be(1);
        result.Failures.Should().ContainSingle().Which.Reason.Should().Contain("1000000 bytes");
        harness.Server.Records.Should().ContainSingle().Which.EventName.Should().Be("Small");
    }

    [Fact]
    public async Task ImportAsync_EventsPastTenMegabytes_StartTheNextRequestAndEachRequestKeepsItsOrder()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);
        var large = Enumerable.Range(0, 9).ToDictionary(i => "p" + i, object? (_) => Enumerable.Repeat(new string('x', 255), 254).ToList());
        var events = Enumerable.Range(0, 20).Select(n => new MixpanelImportEvent("Large", "user-1", Started.AddDays(-8), new Dictionary<string, object?>(large) { ["n"] = n }));

        var result = await client.ImportAsync(Events([.. events]), cancellationToken: DeliveryHarness.Patience);

        result.Should().Be(result with { Imported = 20, Rejected = 0 });
        harness.Server.Requests.Should().HaveCountGreaterThan(1)
            .And.OnlyContain(r => r.DecodedBytes.Length <= MixpanelLimits.MaxImportRequestBytes);
        harness.Server.Requests.Select(r => r.RecordCount).Sum().Should().Be(20);
        harness.Server.Records.Select(r => r.Properties.GetProperty("n").GetInt32()).Should().BeEquivalentTo(Enumerable.Range(0, 20));
        foreach (var request in harness.Server.Records.GroupBy(r => r.RequestIndex))
        {
            var numbers = request.Select(r => r.Properties.GetProperty("n").GetInt32()).ToList();
            numbers.Should().Equal(Enumerable.Range(numbers[0], numbers.Count), "a request holds consecutive events, in order");
        }
    }

    [Fact]
    public async Task ImportAsync_RateLimited_WaitsForRetryAfterThenSendsTheSameRequest()
    {
        await using var harness = await StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.Status(429, retryAfter: TimeSpan.FromSeconds(45)));
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);
        var timers = harness.Time.TimersCreated;

        var import = client.ImportAsync(History(50), cancellationToken: DeliveryHarness.Patience);
        await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(45));
        harness.Time.Advance(TimeSpan.FromSeconds(44));
        import.IsCompleted.Should().BeFalse("the retry waits for Retry-After");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var result = await import;

        result.Imported.Should().Be(50);
        harness.Server.Requests.Should().HaveCount(2);
        harness.Server.DeduplicatedRecords.Should().HaveCount(50);
    }

    [Fact]
    public async Task ImportAsync_RequestTooLarge_IsSentAgainInHalves()
    {
        await using var harness = await StartAsync();
        harness.Server.Faults.Enqueue(ServerFault.Status(413));
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);

        var result = await client.ImportAsync(History(50), cancellationToken: DeliveryHarness.Patience);

        result.Imported.Should().Be(50);
        harness.Server.Requests.Should().HaveCount(3, "the refused request, then its two halves");
        harness.Server.Requests.Skip(1).Select(r => r.RecordCount).Should().Equal(25, 25);
        harness.Server.Records.Select(r => r.Properties.GetProperty("n").GetInt32()).Should().BeEquivalentTo(Enumerable.Range(0, 50));
    }

    [Fact]
    public async Task ImportAsync_WrongSecret_ThrowsAndSaysMixpanelRefusedIt()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = "not-the-secret");

        var import = () => client.ImportAsync(History(10), cancellationToken: DeliveryHarness.Patience);

        (await import.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("401");
        harness.Server.Records.Should().BeEmpty();
    }

    [Fact]
    public async Task ImportAsync_WithoutCredentials_ThrowsAtTheCall()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient();

        var import = () => client.ImportAsync(History(1));

        (await import.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("ApiSecret");
        harness.Server.Requests.Should().BeEmpty();
    }

    public static TheoryData<string, Func<MixpanelImportEvent>> BadEvents => new()
    {
        { "name", () => new MixpanelImportEvent(" ", "user", Started) },
        { "distinctId", () => new MixpanelImportEvent("Viewed", "undefined", Started) },
        { "time", () => new MixpanelImportEvent("Viewed", "user", new DateTimeOffset(1970, 6, 1, 0, 0, 0, TimeSpan.Zero)) },
        { "properties", () => new MixpanelImportEvent("Viewed", "user", Started, new Dictionary<string, object?> { ["time"] = 1 }) },
        { "properties", () => new MixpanelImportEvent("Viewed", "user", Started, new Dictionary<string, object?> { ["token"] = "another-project" }) },
        { "properties", () => new MixpanelImportEvent("Viewed", "user", Started, new Dictionary<string, object?> { ["bad"] = new object() }) },
        { "insertId", () => new MixpanelImportEvent("Viewed", "user", Started, insertId: "not/an/id") },
        { "time", () => new MixpanelImportEvent("Viewed", "user", TimeProvider.System.GetUtcNow().AddDays(3)) },
        { "time", () => new MixpanelImportEvent("Viewed", "user", TimeProvider.System.GetUtcNow().AddMinutes(90)) },
    };

    [Fact]
    public void MixpanelImportEvent_TimeWithinTheHourAhead_IsTaken()
    {
        var soon = TimeProvider.System.GetUtcNow().AddMinutes(50);

        new MixpanelImportEvent("Viewed", "user", soon).Time.Should().Be(soon);
    }

    [Fact]
    public async Task ImportAsync_ABatchMixpanelTookNoneOf_CountsOnlyWhatItTookAndSendsTheValidEventsAgain()
    {
        await using var harness = await StartAsync();
        await using var client = harness.StartServerClient(options => options.ApiSecret = Secret);

        // Mixpanel names one bad event and says it imported none of the batch.
        harness.Server.Faults.Enqueue(ServerFault.Answer(
            400,
            """{"code":400,"error":"some data points in the request failed validation","failed_records":[{"index":1,"$insert_id":"bad-1","field":"properties.time","message":"'properties.time' is invalid"}],"num_records_imported":0,"status":"Bad Request"}""",
            "application/json"));

        var result = await client.ImportAsync(
            Events(
                new MixpanelImportEvent("Viewed", "user-1", Started.AddDays(-8)),
                new MixpanelImportEvent("Bad", "user-1", Started.AddDays(-8), insertId: "bad-1"),
                new MixpanelImportEvent("Viewed", "user-2", Started.AddDays(-7))),
            cancellationToken: DeliveryHarness.Patience);

        result.Imported.Should().Be(2, "the two valid events were sent again, and Mixpanel took them then");
        result.Rejected.Should().Be(1);
        result.Failures.Should().ContainSingle().Which.InsertId.Should().Be("bad-1");
        harness.Server.Requests.Select(r => r.RecordCount).Should().Equal([0, 1, 1], "the refused batch, then each run of its valid events");
        harness.Server.Records.Select(r => r.EventName).Should().Equal("Viewed", "Viewed");
    }

    [Theory]
    [MemberData(nameof(BadEvents))]
    public void MixpanelImportEvent_WhatMixpanelWouldRefuse_ThrowsNamingTheArgument(string parameter, Func<MixpanelImportEvent> create)
    {
        create.Should().Throw<ArgumentException>().Which.ParamName.Should().Be(parameter);
    }

    // The harness's clock starts here.
    private static readonly DateTimeOffset Started = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static Task<DeliveryHarness> StartAsync() => DeliveryHarness.StartAsync(server =>
    {
        server.ApiSecret = Secret;
        server.ServiceAccounts["importer.sa"] = "sa-secret";
        server.ProjectId = "4242";
    });

    private static async IAsyncEnumerable<MixpanelImportEvent> History(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return new MixpanelImportEvent("Purchased", "user-" + (i % 100), Started.AddDays(-30).AddSeconds(i), new Dictionary<string, object?> { ["n"] = i, ["plan"] = "pro" });
        }

        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<MixpanelImportEvent> Events(params MixpanelImportEvent[] events)
    {
        foreach (var item in events)
        {
            yield return item;
        }

        await Task.CompletedTask;
    }

    /// <summary>Reports on the importer's thread, unlike <see cref="Progress{T}"/>, so the test reads them in order.</summary>
    private sealed class SynchronousProgress(Action<MixpanelImportProgress> report) : IProgress<MixpanelImportProgress>
    {
        public void Report(MixpanelImportProgress value)
        {
            lock (this)
            {
                report(value);
            }
        }
    }
}
