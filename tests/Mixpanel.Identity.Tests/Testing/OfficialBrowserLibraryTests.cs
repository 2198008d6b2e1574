using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.JavaScript;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>
/// Mixpanel's official browser library (<c>mixpanel-browser</c> on npm), unchanged, in headless Chromium, on a page whose
/// origin is not the server's: every request it makes must be accepted, readable by the page through CORS, and arrive as
/// records. The page tracks, holds a profile update until <c>identify</c>, identifies, updates a profile and a group.
/// </summary>
[Collection(UsesJavaScript.Name)]
public sealed class OfficialBrowserLibraryTests(JavaScriptTools js)
{
    private const string Token = "browser-project-token";

    // Viewed Landing, $identify, Purchased; the $set_once of the initial referrer the library makes on load and the $set
    // made before identify, both held until identify, then $set and $add; the group's $set.
    private const int Records = 8;

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNameCaseInsensitive = true };

    [Fact]
    public async Task MixpanelBrowser_ApiMethodGet_EveryRequestAcceptedAndEveryRecordArrives()
    {
        await using var server = await StartServerAsync();

        var page = await RunPageAsync(server, new { api_method = "GET", batch_requests = false }, callbacks: true);

        page.Network.Should().HaveCount(Records, "without batching each record is a request of its own: " + page.Output);
        page.Network.Should().OnlyContain(n => n.Method == "GET" && n.Status == 200 && n.Records == 1);
        page.Xhr.Should().OnlyContain(x => x.Status == 200 && x.Response == "1", "the page must be able to read every answer");
        page.Callbacks.Should().HaveCount(5).And.OnlyContain(c => c.ResponseNumber == 1);
        server.Requests.Should().OnlyContain(r => r.Method == "GET" && r.StatusCode == 200 && r.Ip);
        AssertRecordsArrived(server);
    }

    [Fact]
    public async Task MixpanelBrowser_DefaultBatchedPost_EveryRequestAcceptedAndEveryRecordArrives()
    {
        await using var server = await StartServerAsync();

        var page = await RunPageAsync(server, new { batch_flush_interval_ms = 100 }, callbacks: false);

        page.Network.Should().OnlyContain(n => n.Method == "POST" && n.Status == 200);
        page.Network.Sum(n => n.Records).Should().Be(Records);
        page.Xhr.Should().OnlyContain(x => x.Status == 200 && x.Response == """{"status":1,"error":null}""");
        server.Requests.Should().OnlyContain(r => r.Method == "POST" && r.StatusCode == 200 && r.Verbose
            && r.ContentType == "application/x-www-form-urlencoded");
        AssertRecordsArrived(server);
    }

    [Fact]
    public async Task MixpanelBrowser_GetWithJsonPayloadAndImages_EveryRequestAcceptedAndEveryRecordArrives()
    {
        await using var server = await StartServerAsync();

        var page = await RunPageAsync(
            server,
            new { api_method = "GET", batch_requests = false, api_payload_format = "json", img = true },
            callbacks: false);

        page.Network.Should().HaveCount(Records);
        page.Network.Should().OnlyContain(n => n.Status == 200 && n.ContentType == "image/gif");
        page.Xhr.Should().BeEmpty("with img the library loads an image per record");
        server.Requests.Should().OnlyContain(r => r.Method == "GET" && r.StatusCode == 200 && r.QueryString.Contains("img=1"));
        AssertRecordsArrived(server);
    }

    private static void AssertRecordsArrived(LocalMixpanelServer server)
    {
        server.RejectedRecords.Should().BeEmpty();
        var records = server.DeduplicatedRecords;
        records.Should().HaveCount(Records);
        records.Where(r => r.IsEvent).Select(r => r.EventName).Should().BeEquivalentTo("Viewed Landing", "$identify", "Purchased");
        records.Where(r => r.IsEvent).Should().OnlyContain(r => r.InsertId != null && r.DeviceId != null && r.GeolocationIp == "127.0.0.1");
        records.Single(r => r.EventName == "Purchased").UserId.Should().Be("user-42");
        records.Where(r => r.Endpoint == MixpanelEndpoint.Engage).Should().HaveCount(4)
            .And.OnlyContain(r => r.DistinctId == "user-42", "the updates made before identify are held and sent to the user");
        records.Should().ContainSingle(r => r.Endpoint == MixpanelEndpoint.Groups)
            .Which.Json.GetProperty("$group_id").GetString().Should().Be("acme");

        var resolution = server.Resolve(IdMergeApi.Original);
        resolution.Findings.Should().BeEmpty();
        resolution.ResolveDistinctId(records[0].DistinctId!).Should().Be("user-42");
    }

    private static Task<LocalMixpanelServer> StartServerAsync() =>
        LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token });

    private async Task<PageRun> RunPageAsync(LocalMixpanelServer server, object init, bool callbacks)
    {
        var browser = await js.BrowserAsync();
        var settings = JsonSerializer.Serialize(new
        {
            cdpEndpoint = browser.CdpEndpoint,
            apiHost = server.BaseAddress.ToString().TrimEnd('/'),
            token = Token,
            init,
            expectedRecords = Records,
            callbacks,
            timeoutMs = 30_000,
        });

        var run = await js.RunNodeAsync("mixpanel-browser-page.mjs", [settings]);

        run.ExitCode.Should().Be(0, run.ToString());
        var page = JsonSerializer.Deserialize<PageRun>(run.StandardOutput, JsonOptions)! with { Output = run.StandardOutput };
        page.Library.Should().Be("2.83.0");
        page.TimedOut.Should().BeFalse(run.StandardOutput);
        page.Failed.Should().BeEmpty();
        page.PageErrors.Should().BeEmpty();
        return page;
    }

    private sealed record PageRun(
        string Library,
        bool TimedOut,
        IReadOnlyList<NetworkExchange> Network,
        IReadOnlyList<JsonElement> Failed,
        IReadOnlyList<XhrSeen> Xhr,
        IReadOnlyList<string> PageErrors,
        IReadOnlyList<CallbackHeard> Callbacks)
    {
        /// <summary>What the script printed, for failure messages.</summary>
        public string Output { get; init; } = "";
    }

    private sealed record NetworkExchange(string Method, string Path, int Status, string? ContentType, int Records);

    private sealed record XhrSeen(string Method, string Path, int Status, string Response);

    private sealed record CallbackHeard(string Name, JsonElement Response)
    {
        public int? ResponseNumber => Response.ValueKind == JsonValueKind.Number ? Response.GetInt32() : null;
    }
}
