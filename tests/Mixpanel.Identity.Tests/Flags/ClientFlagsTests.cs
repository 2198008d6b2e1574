using FluentAssertions;
using Mixpanel.Identity.Tests.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Flags;

/// <summary>
/// <see cref="MixpanelClient.Flags"/> against the local server: fetched for this device's person, refetched when the
/// person changes, kept on disk for a restart without network, and reported under the identity the person's events carry.
/// </summary>
public sealed class ClientFlagsTests
{
    // "members-only" is on for the user "member-1" alone (a QA tester), "everyone" for all: the variants tell who asked.
    private const string Definitions = """
        {"flags": [
          {"id": "1", "name": "Members", "key": "members-only", "status": "active", "project_id": 1, "context": "distinct_id",
           "ruleset": {"variants": [{"key": "member", "value": true, "split": 1.0}], "rollout": [{"rollout_percentage": 0.0}],
                       "test": {"users": {"member-1": "member"}}}},
          {"id": "2", "name": "Everyone", "key": "everyone", "status": "active", "project_id": 1, "context": "device_id",
           "ruleset": {"variants": [{"key": "on", "value": {"limit": 3}, "split": 1.0}], "rollout": [{"rollout_percentage": 1.0}]}}
        ]}
        """;

    [Fact]
    public async Task Flags_IdentifyAndReset_RefetchedAndExposuresCarryTheIdentityOfTheMoment()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.SetFlagDefinitions(Definitions);
        await using var client = harness.StartClient();
        var anonymousDevice = client.DeviceId;

        await client.Flags.WhenReadyAsync(DeliveryHarness.Patience);
        var before = client.Flags.GetVariant("members-only");
        var everyone = client.Flags.GetVariant("everyone");
        client.Flags.GetVariant("everyone");

        var afterIdentify = client.Flags.NextFetchAsync();
        client.Identify("member-1");
        (await afterIdentify.WaitAsync(DeliveryHarness.Patience)).Should().BeTrue();
        var member = client.Flags.GetVariant("members-only");
        client.Flags.GetVariant("everyone");

        var afterReset = client.Flags.NextFetchAsync();
        client.Reset();
        (await afterReset.WaitAsync(DeliveryHarness.Patience)).Should().BeTrue();
        var afterLogout = client.Flags.GetVariant("members-only");
        await client.FlushAsync(DeliveryHarness.Patience);

        before.FallbackReason.Should().Be(MixpanelFlagFallbackReason.FlagNotFound, "Mixpanel answers only the flags the person is in");
        everyone.Source.Should().Be(MixpanelFlagSource.Remote);
        everyone.Value.GetProperty("limit").GetInt32().Should().Be(3);
        member.Key.Should().Be("member");
        member.IsQaTester.Should().BeTrue();
        afterLogout.FallbackReason.Should().Be(MixpanelFlagFallbackReason.FlagNotFound);

        var exposures = harness.Server.Exposures;
        exposures.Select(e => (string?)e.Properties.GetProperty("Experiment name").GetString()).Should()
            .Equal(["everyone", "members-only", "everyone"], "once per flag per fetch, never for a fallback");
        exposures[0].DistinctId.Should().Be("$device:" + anonymousDevice);
        exposures[0].UserId.Should().BeNull();
        exposures[1].DistinctId.Should().Be("member-1");
        exposures[1].DeviceId.Should().Be(anonymousDevice);
        exposures[1].UserId.Should().Be("member-1");
        exposures[1].Properties.GetProperty("$is_qa_tester").GetBoolean().Should().BeTrue();
        exposures[1].Properties.GetProperty("$variant_source").GetString().Should().Be("network");
        harness.Server.Requests.Should().NotContain(r => r.Path.StartsWith("/flags", StringComparison.Ordinal), "flag fetches are not ingestion");
    }

    [Fact]
    public async Task Flags_OptingBackInAsAUser_RefetchedForThatUser()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.SetFlagDefinitions(Definitions);
        await using var client = harness.StartClient();
        await client.Flags.WhenReadyAsync(DeliveryHarness.Patience);
        client.Flags.GetVariant("members-only").FallbackReason.Should().Be(MixpanelFlagFallbackReason.FlagNotFound);
        client.OptOutTracking();

        var afterOptIn = client.Flags.NextFetchAsync();
        client.OptInTracking("member-1");

        (await afterOptIn.WaitAsync(DeliveryHarness.Patience)).Should().BeTrue("opting in as a user is a login");
        client.Flags.GetVariant("members-only").Key.Should().Be("member");
    }

    [Fact]
    public async Task Flags_RestartOffline_LastVariantsForTheDistinctIdReadBackUntilTheyExpire()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.SetFlagDefinitions(Definitions);
        var online = harness.StartClient();
        online.Identify("member-1");
        await online.Flags.WhenReadyAsync(DeliveryHarness.Patience);
        online.Flags.GetVariant("members-only").Key.Should().Be("member");
        await online.DisposeAsync();
        await harness.Server.StopAsync();

        await using (var offline = harness.StartClient())
        {
            var fetch = offline.Flags.NextFetchAsync();
            var kept = offline.Flags.GetVariant("members-only");
            (await fetch.WaitAsync(DeliveryHarness.Patience)).Should().BeFalse("Mixpanel cannot be reached");

            kept.Key.Should().Be("member");
            kept.Source.Should().Be(MixpanelFlagSource.Persisted);
            offline.Flags.GetVariant("members-only").Source.Should().Be(MixpanelFlagSource.Persisted, "a failed fetch keeps what is held");
        }

        harness.Time.Advance(TimeSpan.FromHours(25));
        await using var expired = harness.StartClient();
        var failed = expired.Flags.NextFetchAsync();
        expired.Flags.GetVariant("members-only").Key.Should().BeNull("a day-old answer is no longer read back");
        await failed.WaitAsync(DeliveryHarness.Patience);
        expired.Flags.GetVariant("members-only").FallbackReason.Should().Be(MixpanelFlagFallbackReason.BackendError);
    }
}
