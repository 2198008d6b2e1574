using System.Text.Json.Nodes;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

/// <summary>
/// The findings of a site whose server and page both track, on the records such a site sends: the page's library
/// delivers as it goes, the server's events arrive later, so Mixpanel reads them out of time order. Each finding fires on
/// the broken flow, naming its records, and is silent on the right one, in both ID-merge systems.
/// </summary>
public sealed class BridgeFindingTests
{
    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void Resolve_PageKeepsTheUserAfterTheServersLogout_ReportsEventsAfterLogoutOnPreviousUser(IdMergeApi api)
    {
        var site = new Site(api);
        site.Server("$mp_web_page_view", "D1");
        site.Page("Clicked", "D1");
        site.ServerLogin("D1", "U1");
        site.Page("Clicked", "D1", "U1");
        var logout = site.Server("Logged Out", "D1", "U1");

        // The page never resets its library: it still names the user; the server has moved on to D2.
        var after = site.Page("Clicked", "D1", "U1");
        site.Server("$mp_web_page_view", "D2");
        var resolution = site.Resolve();

        var finding = resolution.Findings.Should().ContainSingle(f => f.Kind == IdentityFindingKind.EventsAfterLogoutOnPreviousUser, resolution.ToMarkdown()).Subject;
        finding.Records.Should().Equal([site[after], site[logout]], "the page's event arrived first, and is after the logout by its time");
        finding.Records.Select(r => r.Sequence).Should().Equal(2, api == IdMergeApi.Original ? 6 : 5);
        finding.Message.Should().Contain("Logged Out").And.Contain("U1");
    }

    [Fact]
    public void Resolve_ServerLogoutCarriesThePagesFreshlyResetId_ReportsEventsAfterLogoutOnPreviousUser()
    {
        // Simplified ID Merge links the page's new id to the user who is leaving.
        var site = new Site(IdMergeApi.Simplified);
        site.Page("Clicked", "D1");
        site.ServerLogin("D1", "U1");
        var logout = site.Server("Logged Out", "D3", "U1");
        var next = site.Page("Clicked", "D3");
        var resolution = site.Resolve();

        var finding = resolution.Findings.Should().ContainSingle(f => f.Kind == IdentityFindingKind.EventsAfterLogoutOnPreviousUser, resolution.ToMarkdown()).Subject;
        finding.Records.Should().Equal(site[next], site[logout]);
        resolution.ResolvedDistinctIdOf(next).Should().Be("U1");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void Resolve_LogoutThatLeavesTheBrowserOneNewId_ReportsNothing(IdMergeApi api)
    {
        var site = new Site(api);
        site.Server("$mp_web_page_view", "D1");
        site.Page("Clicked", "D1");
        site.ServerLogin("D1", "U1");
        site.Page("Clicked", "D1", "U1");
        site.Server("Logged Out", "D1", "U1");
        site.Server("$mp_web_page_view", "D2");
        site.Page("Clicked", "D2");
        site.Server("$mp_web_page_view", "D2");

        // The same user comes back later: what they did anonymously before signing in again is theirs.
        site.ServerLogin("D2", "U1");
        site.Page("Clicked", "D2", "U1");

        site.Resolve().Findings.Should().BeEmpty(site.Resolve().ToMarkdown());
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void Resolve_FirstPageViewOnAnIdThePagesLibraryNeverAdopted_ReportsServerPageViewsOnly(IdMergeApi api)
    {
        var site = new Site(api);
        var landing = site.Server("$mp_web_page_view", "D0");
        site.Page("Clicked", "D1");
        site.ServerLogin("D1", "U1");
        var resolution = site.Resolve();

        var finding = resolution.Findings.Should().ContainSingle(f => f.Kind == IdentityFindingKind.ServerPageViewsOnly, resolution.ToMarkdown()).Subject;
        finding.Records.Should().Equal(site[landing]);
        finding.Records.Single().Sequence.Should().Be(1, "the server's records arrive after the page's");
        resolution.Findings.Should().Contain(f => f.Kind == IdentityFindingKind.BrowserSplitAcrossUsers, "the landing and the click are one browser's");
        finding.Message.Should().Contain("$device:D0");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void Resolve_FirstPageViewOnTheIdThePagesLibraryAdopted_ReportsNothing(IdMergeApi api)
    {
        var site = new Site(api);
        site.Server("$mp_web_page_view", "D0");
        site.Page("Clicked", "D0");
        site.ServerLogin("D0", "U1");

        site.Resolve().Findings.Should().BeEmpty();
    }

    [Fact]
    public void Resolve_ServerPageViewsWithoutAnyBrowserLibrary_ReportsNothing()
    {
        // A site without the browser library: its server page views are all there is.
        var site = new Site(IdMergeApi.Simplified);
        site.Server("$mp_web_page_view", "D0");
        site.Server("$mp_web_page_view", "D9");

        site.Resolve().Findings.Should().BeEmpty();
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void Resolve_ServerAndPageEachKeepingAnIdOfTheirOwn_ReportsBrowserSplitAcrossUsers(IdMergeApi api)
    {
        var site = new Site(api);
        var view = site.Server("$mp_web_page_view", "D2");
        var click = site.Page("Clicked", "D3");
        var purchase = site.Server("Added To Cart", "D2");
        var resolution = site.Resolve();

        var finding = resolution.Findings.Should().ContainSingle(f => f.Kind == IdentityFindingKind.BrowserSplitAcrossUsers, resolution.ToMarkdown()).Subject;
        finding.Records.Should().Equal(site[click], site[view], site[purchase]);
        finding.Records.Select(r => r.Sequence).Should().Equal(0, 1, 2);
        finding.Message.Should().Contain("D2").And.Contain("D3");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void Resolve_ServerAndPageOnOneIdBesideAnotherBrowser_ReportsNothing(IdMergeApi api)
    {
        var site = new Site(api);
        site.Server("$mp_web_page_view", "D2");
        site.Page("Clicked", "D2");
        site.Server("Added To Cart", "D2");

        // Another person at the same time, with another browser.
        site.Server("$mp_web_page_view", "D7", browserVersion: 120);
        site.Page("Clicked", "D7", browserVersion: 120);

        site.Resolve().Findings.Should().BeEmpty();
    }

    /// <summary>
    /// A site's records: the page's library's events ("web") delivered at once; the server's ("dotnet") held until
    /// <see cref="Resolve"/>, as a server that flushes on a timer delivers them after the page's. Every event one second
    /// after the last; both describe one Chrome on Linux at one address, as a browser and a server reading its requests do.
    /// </summary>
    private sealed class Site(IdMergeApi api)
    {
        private readonly RecordStream _stream = new();
        private readonly List<JsonObject> _server = [];
        private readonly Dictionary<string, ReceivedRecord> _byInsertId = [];
        private long _time = 1_700_000_000_000;

        public ReceivedRecord this[string insertId] => _byInsertId[insertId];

        public string Page(string name, string device, string? user = null, int browserVersion = 131)
        {
            var (record, insertId) = Event(name, device, user, "web", browserVersion);
            _byInsertId[insertId] = _stream.Add(MixpanelEndpoint.Track, record);
            return insertId;
        }

        public string Server(string name, string device, string? user = null, int browserVersion = 131)
        {
            var (record, insertId) = Event(name, device, user, "dotnet", browserVersion);
            _server.Add(record);
            return insertId;
        }

        /// <summary>The server's sign-in: its $identify under Original ID Merge, then an event of the user.</summary>
        public void ServerLogin(string device, string user)
        {
            if (api == IdMergeApi.Original)
            {
                var (identify, _) = Event("$identify", device, user, "dotnet", 131);
                identify["properties"]!["$anon_distinct_id"] = "$device:" + device;
                _server.Add(identify);
            }

            Server("Logged In", device, user);
        }

        public IdentityResolution Resolve()
        {
            foreach (var record in _server)
            {
                var added = _stream.Add(MixpanelEndpoint.Track, record);
                _byInsertId[added.InsertId!] = added;
            }

            _server.Clear();
            return _stream.Resolve(api);
        }

        private (JsonObject Record, string InsertId) Event(string name, string device, string? user, string library, int browserVersion)
        {
            _time += 1000;
            var insertId = _stream.NextInsertId();
            var properties = new JsonObject
            {
                ["token"] = "tok",
                ["distinct_id"] = user ?? "$device:" + device,
                ["$device_id"] = device,
                ["time"] = _time,
                ["$insert_id"] = insertId,
                ["mp_lib"] = library,
                ["$browser"] = "Chrome",
                ["$browser_version"] = browserVersion,
                ["$os"] = "Linux",
                ["ip"] = "203.0.113.7",
            };
            if (user is not null)
            {
                properties["$user_id"] = user;
            }

            return (new JsonObject { ["event"] = name, ["properties"] = properties }, insertId);
        }
    }
}
