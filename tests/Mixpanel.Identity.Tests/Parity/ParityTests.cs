using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Delivery;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Parity;

/// <summary>What an app developer who knows Mixpanel's own SDKs expects, against a real local server.</summary>
public sealed class ParityTests
{
    [Fact]
    public async Task Track_OnThisMachine_CarriesEveryDefaultPropertyItTells()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options =>
        {
            options.AppVersion = "3.2.1";
            options.AppBuildNumber = "321";
            options.DeviceInfo = static () => new MixpanelDeviceInfo { ScreenWidth = 2560, ScreenHeight = 1440, ScreenDpi = 96, Wifi = true };
        });

        client.Track("Opened App");
        await client.FlushAsync(DeliveryHarness.Patience);

        var properties = Event(harness, "Opened App");
        var expected = new Dictionary<string, object>
        {
            ["$os"] = OperatingSystem.IsWindows() ? "Windows" : OperatingSystem.IsMacOS() ? "Mac OS X" : "Linux",
            ["$os_version"] = Environment.OSVersion.Version.ToString(),
            ["$app_version_string"] = "3.2.1",
            ["$app_build_number"] = "321",
            ["$screen_width"] = 2560,
            ["$screen_height"] = 1440,
            ["$screen_dpi"] = 96,
            ["$wifi"] = true,
            ["mp_lib"] = "dotnet",
        };
        foreach (var (name, value) in expected)
        {
            properties.GetProperty(name).ToString().Should().Be(value is bool flag ? (flag ? "True" : "False") : value.ToString(), name);
        }

        // The machine's maker and model, where Linux tells them (a container may not).
        if (File.Exists("/sys/class/dmi/id/sys_vendor") && File.ReadAllText("/sys/class/dmi/id/sys_vendor").Trim().Length > 0)
        {
            properties.GetProperty("$manufacturer").GetString().Should().Be(File.ReadAllText("/sys/class/dmi/id/sys_vendor").Trim());
        }
    }

    [Fact]
    public async Task Track_WithDefaultPropertiesOffAndNamesExcluded_LeavesThemOut()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options =>
        {
            options.SendDefaultProperties = false;
            options.ExcludeProperties.Add("$os");
            options.ExcludeProperties.Add("email");
            options.ExcludeProperties.Add("distinct_id");
        });
        client.Register(new Dictionary<string, object?> { ["email"] = "ann@example.com" });

        client.Track("Signed Up", new Dictionary<string, object?> { ["plan"] = "pro", ["email"] = "ann@example.com" });
        await client.FlushAsync(DeliveryHarness.Patience);

        var properties = Event(harness, "Signed Up");
        properties.TryGetProperty("$os_version", out _).Should().BeFalse();
        properties.TryGetProperty("$os", out _).Should().BeFalse();
        properties.TryGetProperty("email", out _).Should().BeFalse("an excluded name is left out wherever it comes from");
        properties.GetProperty("plan").GetString().Should().Be("pro");
        properties.GetProperty("distinct_id").GetString().Should().StartWith("$device:", "the names the client needs are never left out");
    }

    [Fact]
    public async Task ProfileSet_CarriesTheLibraryVersionAsTheMobileSdksDo()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Identify("U1");

        client.People.Set("plan", "pro");
        client.People.Increment("logins");
        await client.FlushAsync(DeliveryHarness.Patience);

        var updates = harness.Server.DeduplicatedRecords.Where(r => r.Endpoint == MixpanelEndpoint.Engage).ToList();
        updates.Single(u => u.Json.TryGetProperty("$set", out _)).Json.GetProperty("$set").GetProperty("$lib_version").GetString().Should().NotBeNullOrEmpty();
        updates.Single(u => u.Json.TryGetProperty("$add", out _)).Json.GetProperty("$add").TryGetProperty("$lib_version", out _).Should().BeFalse();
    }

    [Fact]
    public async Task Groups_AsListsAddedAndRemoved_GoOutAsStringsOnEventsAndProfiles()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Identify("U1");

        client.SetGroup("company", new object[] { 42, "acme" });
        client.AddGroup("company", "globex");
        client.RemoveGroup("company", 42);
        client.Track("In Groups");
        client.TrackWithGroups("Shared Doc", null, new Dictionary<string, object> { ["team"] = 7 });
        client.GetGroup("company", 42).Set(new Dictionary<string, object?> { ["name"] = "Answer Inc" });
        await client.FlushAsync(DeliveryHarness.Patience);

        client.SuperProperties["company"].Should().BeEquivalentTo(new object[] { "acme", "globex" });
        Event(harness, "In Groups").GetProperty("company").EnumerateArray().Select(e => e.GetString()).Should().Equal("acme", "globex");
        Event(harness, "Shared Doc").GetProperty("team").EnumerateArray().Select(e => e.GetString()).Should().Equal("7");
        var group = harness.Server.DeduplicatedRecords.Single(r => r.Endpoint == MixpanelEndpoint.Groups);
        group.Json.GetProperty("$group_id").ValueKind.Should().Be(JsonValueKind.String, "Mixpanel's ingestion spec types $group_id as a string");
        group.Json.GetProperty("$group_id").GetString().Should().Be("42");
        var profile = harness.Server.DeduplicatedRecords.Where(r => r.Endpoint == MixpanelEndpoint.Engage).Select(r => r.Json.ToString()).ToList();
        profile.Should().Contain(json => json.Contains("\"$union\":{\"company\":[\"globex\"]", StringComparison.Ordinal));
        profile.Should().Contain(json => json.Contains("\"$remove\":{\"company\":\"42\"}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OptOut_OfAnIdentifiedUser_SendsTheirDeleteThenNothingElseEver()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Identify("U1");
        client.Track("Before");
        client.People.Set("plan", "pro");

        client.OptOutTracking();
        client.Track("After");
        client.People.Set("plan", "free");
        await client.FlushAsync(DeliveryHarness.Patience);
        await client.DisposeAsync();
        var restarted = harness.StartClient();
        restarted.Track("After Restart");
        await restarted.FlushAsync(DeliveryHarness.Patience);

        var received = harness.Server.DeduplicatedRecords.Where(r => r.EventName is null || r.EventName != "$opt_in").ToList();
        received.Should().ContainSingle("everything but the user's $delete was discarded or never recorded");
        received[0].Json.TryGetProperty("$delete", out _).Should().BeTrue();
        received[0].DistinctId.Should().Be("U1");
        restarted.IsOptedOut.Should().BeTrue();
    }

    [Fact]
    public async Task OptOutTrackingByDefault_TracksNothingUntilConsentThenIdentifiesAndTracksOptIn()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.OptOutTrackingByDefault = true);

        client.Track("Before Consent");
        client.People.Set("plan", "pro");
        client.IsOptedOut.Should().BeTrue();
        client.OptInTracking("U1", new Dictionary<string, object?> { ["source"] = "banner" });
        client.Track("After Consent");
        await client.FlushAsync(DeliveryHarness.Patience);

        harness.Server.DeduplicatedRecords.Where(r => r.IsEvent).Select(r => (r.EventName, r.DistinctId)).Should().Equal(
            ("$identify", "U1"), ("$opt_in", "U1"), ("After Consent", "U1"));
        Event(harness, "$opt_in").GetProperty("source").GetString().Should().Be("banner");
        client.Diagnostics.GetDropped(DropReason.OptedOut).Should().Be(2);
    }

    [Fact]
    public async Task BeforeSendHooks_ChangeDropAndFail_EachAsSaidAndCounted()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options =>
        {
            options.BeforeSendEvent = static e => e.Name switch
            {
                "Noise" => null,
                "Broken" => throw new InvalidOperationException("a bug in the app's hook"),
                _ => e.With(properties: e.Properties.Where(p => p.Key != "email").ToDictionary(p => p.Key, p => p.Value)),
            };
            options.BeforeSendProfileUpdate = static u => u.Names.Contains("ssn") ? null : u;
        });
        client.Identify("U1");

        client.Track("Signed Up", new Dictionary<string, object?> { ["email"] = "ann@example.com", ["plan"] = "pro" });
        client.Track("Noise");
        client.Track("Broken");
        client.People.Set("ssn", "078-05-1120");
        client.People.Set("plan", "pro");
        await client.FlushAsync(DeliveryHarness.Patience);

        var signedUp = Event(harness, "Signed Up");
        signedUp.TryGetProperty("email", out _).Should().BeFalse();
        signedUp.GetProperty("plan").GetString().Should().Be("pro");
        harness.Server.DeduplicatedRecords.Should().NotContain(r => r.EventName == "Noise" || r.EventName == "Broken");
        harness.Server.DeduplicatedRecords.Where(r => r.Endpoint == MixpanelEndpoint.Engage).Should().ContainSingle();
        client.Diagnostics.GetDropped(DropReason.Filtered).Should().Be(2);
        client.Diagnostics.GetDropped(DropReason.HookFailed).Should().Be(1);
    }

    [Fact]
    public async Task DeviceIdProvider_SuppliesTheFirstDeviceIdAndTheOneAfterReset()
    {
        var ids = new Queue<string>(["legacy-anon-1", "null", "legacy-anon-2"]);
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient(options => options.DeviceIdProvider = () => ids.Dequeue());

        var first = client.DeviceId;
        client.Reset();
        var refused = client.DeviceId;
        client.Reset();

        first.Should().Be("legacy-anon-1");
        Guid.TryParse(refused, out _).Should().BeTrue("an id Mixpanel would refuse is replaced by a random one");
        client.DeviceId.Should().Be("legacy-anon-2");
        client.DistinctId.Should().Be("$device:legacy-anon-2");
        await client.DisposeAsync();
        harness.StartClient().DeviceId.Should().Be("legacy-anon-2", "the provider's id is stored like any other");
    }

    [Fact]
    public async Task NetworkBack_WhileBackingOff_DeliversAtOnceWithoutWaitingForTheBackoff()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await harness.Server.StopAsync();
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var timers = harness.Time.TimersCreated;
        var flush = client.FlushAsync(DeliveryHarness.Patience);
        // The first backoff: 2 s and 1-5 s of jitter (not the hour-long flush interval, which is armed too).
        await harness.Time.WaitForTimerAsync(timers, due => due >= TimeSpan.FromSeconds(3) && due <= TimeSpan.FromSeconds(7));

        await harness.Server.RestartAsync();
        client.NotifyNetworkAvailable();
        await flush;

        harness.DeliveredNumbers().Should().Equal(1);
    }

    [Fact]
    public async Task OnAppBackgrounded_SendsWhatIsQueuedWithoutTheInterval()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.Track("Numbered", DeliveryHarness.Numbered(1));

        client.OnAppBackgrounded();

        await harness.Server.WaitForAsync(_ => harness.DeliveredNumbers().Count == 1, DeliveryHarness.Patience);
        harness.DeliveredNumbers().Should().Equal(1);
    }

    [Fact]
    public async Task TimeEvent_AcrossARestart_KeepsItsStartOnTheWallClock()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        var client = harness.StartClient();
        client.TimeEvent("Onboarding");
        await client.DisposeAsync();
        harness.Time.Advance(TimeSpan.FromMinutes(3));

        var restarted = harness.StartClient();
        restarted.Track("Onboarding");
        await restarted.FlushAsync(DeliveryHarness.Patience);

        Event(harness, "Onboarding").GetProperty("$duration").GetDouble().Should().Be(180);
    }

    [Fact]
    public async Task ProcessExit_WithoutDispose_DeliversWhatWasQueued()
    {
        using var directory = new TempDirectory();
        await using var server = await KillTestApp.StartServerAsync();

        var output = await KillTestApp.RunToEndAsync(directory.Path, server, first: 700, mode: "exit");

        output.Should().Be("exiting");
        KillTestApp.DeliveredNumbers(server).Should().Equal(700, 701, 702);
    }

    [Fact]
    public async Task ProcessExit_WhenDeliveryCannotFinish_StillLetsTheProcessExitAndKeepsTheEvents()
    {
        using var directory = new TempDirectory();
        await using var server = await KillTestApp.StartServerAsync();
        server.Faults.Always(ServerFault.NeverRespond());

        // Its clock never moves and the server never answers: only the real-time bound at exit ends the wait.
        var output = await KillTestApp.RunToEndAsync(directory.Path, server, first: 800, mode: "exit-stalled");

        output.Should().Be("exiting");
        server.Faults.Clear();
        (await KillTestApp.RunToEndAsync(directory.Path, server, first: 0)).Should().StartWith("clean");
        KillTestApp.DeliveredNumbers(server).Should().Equal(800, 801, 802);
    }

    private static JsonElement Event(DeliveryHarness harness, string name) =>
        harness.Server.DeduplicatedRecords.Single(r => r.EventName == name).Properties;
}
