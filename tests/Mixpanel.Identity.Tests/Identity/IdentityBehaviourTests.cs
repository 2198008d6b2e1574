using FluentAssertions;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Identity;

public sealed class IdentityBehaviourTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<ClientHarness> _harnesses = [];

    public void Dispose()
    {
        foreach (var harness in _harnesses)
        {
            harness.Dispose();
        }

        _directory.Dispose();
    }

    [Fact]
    public void NewClient_BeforeIdentify_IsAnonymousUnderDeviceDistinctId()
    {
        var client = CreateSut().Client;

        Guid.TryParse(client.DeviceId, out var deviceId).Should().BeTrue();
        ((deviceId.ToByteArray()[7] >> 4) & 0xF).Should().Be(4, "the device id is a random UUID, version 4");
        client.DistinctId.Should().Be("$device:" + client.DeviceId);
        client.UserId.Should().BeNull();
    }

    [Fact]
    public void Track_WhileAnonymous_CarriesDeviceIdAndNoUserId()
    {
        var harness = CreateSut();

        harness.Client.Track("Viewed Page");

        var sent = harness.Sent.Events.Should().ContainSingle().Subject;
        sent.DistinctId.Should().Be("$device:" + harness.Client.DeviceId);
        sent.DeviceId.Should().Be(harness.Client.DeviceId);
        sent.Properties.TryGetProperty("$user_id", out _).Should().BeFalse();
    }

    [Fact]
    public void Identify_NewUserOnOriginal_SendsIdentifyLinkingThePreviousDistinctId()
    {
        var harness = CreateSut(IdMergeApi.Original);
        var anonymousId = harness.Client.DistinctId;

        harness.Client.Identify("U1");

        var identify = harness.Sent.Events.Should().ContainSingle().Subject;
        identify.EventName.Should().Be("$identify");
        identify.DistinctId.Should().Be("U1");
        identify.Property("$anon_distinct_id").Should().Be(anonymousId);
        identify.DeviceId.Should().Be(harness.Client.DeviceId);
        identify.UserId.Should().Be("U1");
        harness.Client.DistinctId.Should().Be("U1");
        harness.Client.UserId.Should().Be("U1");
    }

    [Fact]
    public void Identify_NewUserOnSimplified_SendsNoIdentifyButStampsEveryEvent()
    {
        var harness = CreateSut(IdMergeApi.Simplified);

        harness.Client.Identify("U1");
        harness.Client.Track("Purchased");

        var sent = harness.Sent.Events.Should().ContainSingle().Subject;
        sent.EventName.Should().Be("Purchased");
        sent.DistinctId.Should().Be("U1");
        sent.DeviceId.Should().Be(harness.Client.DeviceId);
        sent.UserId.Should().Be("U1");
    }

    [Fact]
    public void Identify_SameIdAgain_SendsNothing()
    {
        var harness = CreateSut();
        harness.Client.Identify("U1");
        var sent = harness.Sent.Events.Count;

        harness.Client.Identify("U1");
        harness.Restart().Identify("U1");

        sent.Should().Be(1, "the first Identify sends $identify");
        harness.Sent.Events.Should().HaveCount(sent, "the same id again sends nothing, and the restarted client is still U1");
    }

    [Fact]
    public void Identify_DifferentUserWithoutReset_SendsIdentifyFromTheFirstUserAndWarns()
    {
        var harness = CreateSut();
        harness.Client.Identify("U1");

        harness.Client.Identify("U2");

        var second = harness.Sent.Events.Last();
        second.DistinctId.Should().Be("U2");
        second.Property("$anon_distinct_id").Should().Be("U1");
        harness.Logs.GetSnapshot().Should().Contain(log => log.Id.Id == 1004 && log.Level == LogLevel.Warning);
    }

    [Fact]
    public void Reset_AfterIdentify_RotatesDeviceIdAndClearsUserIdSuperPropertiesAndTimers()
    {
        var harness = CreateSut();
        var client = harness.Client;
        client.Identify("U1");
        client.Register(new Dictionary<string, object?> { ["plan"] = "pro" });
        client.TimeEvent("Checkout");
        var oldDevice = client.DeviceId;

        client.Reset();
        harness.Time.Advance(TimeSpan.FromSeconds(3));
        client.Track("Checkout");

        client.DeviceId.Should().NotBe(oldDevice);
        client.UserId.Should().BeNull();
        client.DistinctId.Should().Be("$device:" + client.DeviceId);
        client.SuperProperties.Should().BeEmpty();
        var checkout = harness.Sent.Events.Last();
        checkout.DistinctId.Should().Be("$device:" + client.DeviceId);
        checkout.Properties.TryGetProperty("plan", out _).Should().BeFalse();
        checkout.Properties.TryGetProperty("$duration", out _).Should().BeFalse();
    }

    [Fact]
    public void Reset_WithHeldProfileUpdates_DiscardsAndCountsThem()
    {
        var harness = CreateSut();
        harness.Client.People.Set("name", "Ada");

        harness.Client.Reset();
        harness.Client.Identify("U1");

        harness.Sent.ProfileUpdates.Should().BeEmpty();
        harness.Client.Diagnostics.GetDropped(DropReason.Reset).Should().Be(1);
    }

    [Fact]
    public void People_BeforeIdentify_AreHeldAndReleasedToTheUserId()
    {
        var harness = CreateSut();
        harness.Client.People.Set("phone_verified", true);
        harness.Client.People.Increment("logins");

        harness.Sent.ProfileUpdates.Should().BeEmpty("profile updates never go to a $device: id");
        harness.Client.Identify("U1");

        harness.Sent.ProfileUpdates.Should().HaveCount(2).And.OnlyContain(update => update.DistinctId == "U1" && update.UserId == "U1");
        harness.Sent.ProfileUpdates[0].Json.GetProperty("$set").GetProperty("phone_verified").GetBoolean().Should().BeTrue();
        harness.Sent.ProfileUpdates[1].Json.GetProperty("$add").GetProperty("logins").GetDouble().Should().Be(1);
    }

    [Fact]
    public void People_AfterIdentify_GoStraightToTheUserIdWithOneOperationEach()
    {
        var harness = CreateSut();
        var people = harness.Client.People;
        harness.Client.Identify("U1");

        people.Set("a", 1);
        people.SetOnce("b", "x");
        people.Append("c", "y");
        people.Union("d", ["p", "q"]);
        people.Remove("e", "z");
        people.Unset("f", "g");
        people.DeleteUser();

        var updates = harness.Sent.ProfileUpdates;
        updates.Select(update => update.Json.EnumerateObject().Select(p => p.Name).Single(name => !name.StartsWith("$token", StringComparison.Ordinal) &&
                name is not ("$distinct_id" or "$device_id" or "$user_id")))
            .Should().Equal("$set", "$set_once", "$append", "$union", "$remove", "$unset", "$delete");
        updates.Should().OnlyContain(update => update.DistinctId == "U1" && update.Json.GetProperty("$token").GetString() == ClientHarness.Token);
        updates[3].Json.GetProperty("$union").GetProperty("d").EnumerateArray().Select(e => e.GetString()).Should().Equal("p", "q");
        updates[5].Json.GetProperty("$unset").EnumerateArray().Select(e => e.GetString()).Should().Equal("f", "g");
        updates[6].Json.GetProperty("$delete").GetString().Should().BeEmpty();
    }

    [Fact]
    public void DeleteUser_WhileAnonymous_IsDroppedCountedAndNeverHeld()
    {
        var harness = CreateSut();

        harness.Client.People.DeleteUser();
        harness.Client.Identify("U1");

        harness.Sent.ProfileUpdates.Should().BeEmpty();
        harness.Client.Diagnostics.GetDropped(DropReason.NotIdentified).Should().Be(1);
    }

    [Fact]
    public void Alias_OnOriginal_SendsCreateAliasFromTheCurrentDistinctId()
    {
        var harness = CreateSut();
        var anonymousId = harness.Client.DistinctId;

        harness.Client.Alias("ada@example.com-legacy");
        harness.Client.Identify("ada@example.com-legacy");

        var alias = harness.Sent.Events.Should().ContainSingle("identifying with the alias needs no $identify").Subject;
        alias.EventName.Should().Be("$create_alias");
        alias.DistinctId.Should().Be(anonymousId);
        alias.Property("alias").Should().Be("ada@example.com-legacy");
    }

    [Fact]
    public void Alias_OfTheCurrentDistinctId_ThrowsNamingTheArgument()
    {
        var harness = CreateSut();
        harness.Client.Identify("U1");

        var act = () => harness.Client.Alias("U1");

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("alias");
    }

    [Fact]
    public void Alias_OnSimplified_ThrowsNotSupportedSayingWhy()
    {
        var harness = CreateSut(IdMergeApi.Simplified);

        var act = () => harness.Client.Alias("U1");

        act.Should().Throw<NotSupportedException>().WithMessage("*Simplified ID Merge*Identify*");
        harness.Sent.Events.Should().BeEmpty();
    }

    [Fact]
    public void Register_SuperProperties_WinOverAutomaticAndLoseToTheCall()
    {
        var harness = CreateSut();
        harness.Client.Register(new Dictionary<string, object?> { ["$os"] = "Custom OS", ["plan"] = "free", ["tier"] = 1 });
        harness.Client.RegisterOnce(new Dictionary<string, object?> { ["plan"] = "ignored", ["first_seen"] = "yes" });

        harness.Client.Track("Upgraded", new Dictionary<string, object?> { ["plan"] = "pro" });

        var sent = harness.Sent.Events.Single();
        sent.Property("$os").Should().Be("Custom OS");
        sent.Property("plan").Should().Be("pro");
        sent.Properties.GetProperty("tier").GetInt32().Should().Be(1);
        sent.Property("first_seen").Should().Be("yes");
        sent.Properties.EnumerateObject().Select(p => p.Name).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task RegisterOnce_OfPropertiesAlreadySet_ChangesAndSavesNothing()
    {
        var harness = CreateSut();
        harness.Client.Register(new Dictionary<string, object?> { ["plan"] = "free" });
        await harness.Client.PersistAsync();
        var saves = harness.IdentitySaves();

        harness.Client.RegisterOnce(new Dictionary<string, object?> { ["plan"] = "pro" });
        await harness.Client.PersistAsync();

        harness.IdentitySaves().Should().Be(saves, "nothing changed, so nothing is written to disk");
        harness.Client.SuperProperties.Should().ContainKey("plan").WhoseValue.Should().Be("free");
    }

    [Fact]
    public void Unregister_RemovesOneSuperProperty()
    {
        var harness = CreateSut();
        harness.Client.Register(new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 });

        harness.Client.Unregister("a");

        harness.Client.SuperProperties.Keys.Should().Equal("b");
    }

    [Theory]
    [InlineData("distinct_id")]
    [InlineData("$device_id")]
    [InlineData("$user_id")]
    [InlineData("$insert_id")]
    [InlineData("token")]
    [InlineData("time")]
    public void Register_AManagedProperty_ThrowsNamingTheArgument(string name)
    {
        var harness = CreateSut();

        var act = () => harness.Client.Register(new Dictionary<string, object?> { [name] = "x" });

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        harness.Client.SuperProperties.Should().BeEmpty();
    }

    [Fact]
    public void TimeEvent_ThenTrack_AddsDurationInSecondsWithThreeDecimals()
    {
        var harness = CreateSut();
        harness.Client.TimeEvent("Upload");
        harness.Time.Advance(TimeSpan.FromMilliseconds(2345.6));

        harness.Client.Track("Upload");
        harness.Client.Track("Upload");

        harness.Sent.Events[0].Properties.GetProperty("$duration").GetDouble().Should().Be(2.346);
        harness.Sent.Events[1].Properties.TryGetProperty("$duration", out _).Should().BeFalse("a timer is used once");
    }

    [Fact]
    public void OptOutTracking_DeletesTheUserClearsPendingAndMakesTrackAndPeopleNoOps()
    {
        var harness = CreateSut();
        harness.Client.Identify("U1");
        harness.Client.Track("Before");

        harness.Client.OptOutTracking();
        harness.Client.Track("While opted out");
        harness.Client.People.Set("x", 1);

        harness.Client.IsOptedOut.Should().BeTrue();
        harness.Client.UserId.Should().BeNull("opting out forgets the user on this device");
        var sent = harness.Sent.Records.Should().ContainSingle("only the user's $delete outlives the purge").Subject;
        (sent.Endpoint, sent.DistinctId, sent.Json.TryGetProperty("$delete", out _)).Should().Be((MixpanelEndpoint.Engage, "U1", true));
        harness.Client.Diagnostics.GetDropped(DropReason.OptedOut).Should().Be(4, "$identify and Before were purged, the next two never recorded");
    }

    [Fact]
    public void OptInTracking_AfterOptOut_TracksOptInAndRecordsAgain()
    {
        var harness = CreateSut();
        harness.Client.OptOutTracking();

        harness.Client.OptInTracking();
        harness.Client.Track("Back");

        harness.Client.IsOptedOut.Should().BeFalse();
        harness.Sent.Events.Select(e => e.EventName).Should().Equal("$opt_in", "Back");
    }

    [Fact]
    public void OptOut_SurvivesARestart()
    {
        var harness = CreateSut();
        harness.Client.OptOutTracking();

        var restarted = harness.Restart();
        restarted.Track("Ignored");

        restarted.IsOptedOut.Should().BeTrue();
        harness.Sent.Records.Should().BeEmpty();
    }

    [Fact]
    public void Restart_OnTheSameDirectory_KeepsDeviceUserSuperPropertiesAndHeldUpdates()
    {
        var harness = CreateSut();
        harness.Client.Register(new Dictionary<string, object?>
        {
            ["plan"] = "pro",
            ["seats"] = 3L,
            ["ratio"] = 0.5,
            ["beta"] = true,
            ["tags"] = new[] { "a", "b" },
            ["nested"] = new Dictionary<string, object?> { ["k"] = "v" },
        });
        harness.Client.People.Set("name", "Ada");
        var deviceId = harness.Client.DeviceId;
        var superProperties = harness.Client.SuperProperties;

        var restarted = harness.Restart();

        restarted.DeviceId.Should().Be(deviceId);
        restarted.UserId.Should().BeNull();
        restarted.SuperProperties.Keys.Should().Equal(superProperties.Keys);
        restarted.SuperProperties["plan"].Should().Be("pro");
        restarted.SuperProperties["seats"].Should().Be(3L);
        restarted.SuperProperties["ratio"].Should().Be(0.5);
        restarted.SuperProperties["beta"].Should().Be(true);
        restarted.SuperProperties["tags"].Should().BeAssignableTo<IReadOnlyList<object?>>().Which.Should().Equal("a", "b");
        restarted.SuperProperties["nested"].Should().BeAssignableTo<IReadOnlyDictionary<string, object?>>().Which["k"].Should().Be("v");

        restarted.Identify("U1");
        harness.Sent.ProfileUpdates.Should().ContainSingle().Which.DistinctId.Should().Be("U1");
    }

    [Fact]
    public void Restart_AfterIdentify_KeepsTheUser()
    {
        var harness = CreateSut();
        harness.Client.Identify("U1");
        var deviceId = harness.Client.DeviceId;

        var restarted = harness.Restart();
        restarted.Track("Opened App");

        restarted.UserId.Should().Be("U1");
        restarted.DeviceId.Should().Be(deviceId);
        var opened = harness.Sent.Events.Should().ContainSingle(e => e.EventName == "Opened App").Subject;
        (opened.DistinctId, opened.DeviceId, opened.UserId).Should().Be(("U1", deviceId, "U1"));
    }

    [Fact]
    public void SecondClient_OnTheSameDirectory_ThrowsUntilTheFirstIsDisposed()
    {
        var harness = CreateSut();

        var act = () => new MixpanelClient(harness.Options);

        act.Should().Throw<InvalidOperationException>().WithMessage("*already using the storage directory*");
        harness.Client.Dispose();
        using var second = new MixpanelClient(new MixpanelOptions
        {
            ProjectToken = ClientHarness.Token,
            StorageDirectory = harness.StorageDirectory,
            ShutdownTimeout = TimeSpan.Zero,
        });
        second.DeviceId.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task PublicMembers_CalledFromManyThreads_KeepOneConsistentIdentity()
    {
        var harness = CreateSut();
        var client = harness.Client;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(thread => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                client.Track("Tick", new Dictionary<string, object?> { ["thread"] = thread, ["i"] = i });
                client.Register(new Dictionary<string, object?> { ["last_thread"] = thread });
                if (i % 100 == 0)
                {
                    client.Identify("U1");
                    client.People.Set("seen", i);
                }
            }
        })));

        var ticks = harness.Sent.Events.Where(e => e.EventName == "Tick").ToList();
        ticks.Should().HaveCount(4000);
        ticks.Select(e => e.Property("$insert_id")).Should().OnlyHaveUniqueItems();
        ticks.Should().OnlyContain(e => e.DeviceId == client.DeviceId && (e.DistinctId == "U1" || e.DistinctId == "$device:" + client.DeviceId));
        harness.Sent.Events.Count(e => e.EventName == "$identify").Should().Be(1);
    }

    private ClientHarness CreateSut(IdMergeApi idMerge = IdMergeApi.Original, string device = "device-1")
    {
        var harness = new ClientHarness(_directory.Combine(device), idMerge);
        _harnesses.Add(harness);
        return harness;
    }
}
