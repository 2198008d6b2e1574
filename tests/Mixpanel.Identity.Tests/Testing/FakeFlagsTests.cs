using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>
/// The fakes' flags: variants a test scripts, answered through the clients' own flags code, so that code written
/// against <see cref="IMixpanelClient"/> or <see cref="IMixpanelServerClient"/> reads them and its exposures are the
/// ones the real clients would record.
/// </summary>
public sealed class FakeFlagsTests
{
    [Fact]
    public void ClientFlags_ScriptedVariant_AnsweredAtOnceAndFirstReadRecordedAsAnExposureOfTheDevice()
    {
        var fake = new FakeMixpanelClient();
        fake.SetFlagVariant("new-checkout", "on", true);
        fake.SetFlagVariant("banner", "blue", new Dictionary<string, object?> { ["color"] = "#00f", ["sizes"] = new[] { 12, 16 } });
        IMixpanelClient client = fake;

        var enabled = client.Flags.IsEnabled("new-checkout");
        var again = client.Flags.GetVariant("new-checkout");
        var banner = client.Flags.GetVariant("banner", reportExposure: false);

        enabled.Should().BeTrue();
        (again.Key, again.Source, again.FallbackReason).Should().Be(("on", MixpanelFlagSource.Remote, (MixpanelFlagFallbackReason?)null));
        banner.Key.Should().Be("blue");
        banner.Value.GetProperty("color").GetString().Should().Be("#00f");
        banner.Value.GetProperty("sizes")[1].GetInt32().Should().Be(16);
        var exposure = fake.Exposures.Should().ContainSingle("the first read after a fetch is reported, and only the first").Subject;
        (exposure.DistinctId, exposure.DeviceId, exposure.UserId).Should().Be(("$device:" + fake.DeviceId, fake.DeviceId, (string?)null));
        exposure.Properties.Should().Contain(new Dictionary<string, object?>
        {
            ["Experiment name"] = "new-checkout",
            ["Variant name"] = "on",
            ["$experiment_type"] = "feature_flag",
            ["$variant_source"] = "network",
        });
        fake.Events.Should().BeEmpty("an exposure is made by the client, not tracked by the app");
        fake.AllEvents.Should().ContainSingle(e => e.Name == "$experiment_started");
    }

    [Fact]
    public void ClientFlags_IdentifyAndReset_FetchTheNewPersonsVariantAndReportItAgainUnderTheirIdentity()
    {
        var fake = new FakeMixpanelClient();
        fake.SetFlagVariant("new-checkout", "control", false);
        fake.SetFlagVariant("new-checkout", "on", true, distinctId: "user-7");

        var anonymous = fake.Flags.GetVariant("new-checkout");
        fake.Identify("user-7");
        var signedIn = fake.Flags.GetVariant("new-checkout");
        fake.Reset();
        var afterLogout = fake.Flags.GetVariant("new-checkout");

        (anonymous.Key, signedIn.Key, afterLogout.Key).Should().Be(("control", "on", "control"));
        fake.Exposures.Select(e => (e.DistinctId, e.UserId, e.Properties["Variant name"])).Should().Equal(
            ("$device:" + fake.Exposures[0].DeviceId, null, "control"),
            ("user-7", "user-7", "on"),
            ("$device:" + fake.DeviceId, null, "control"));
        fake.Exposures[2].DeviceId.Should().NotBe(fake.Exposures[0].DeviceId, "Reset made a new device");
    }

    [Fact]
    public void ClientFlags_FlagNotScriptedOrRemoved_FallbackWithItsReasonAndNoExposure()
    {
        var fake = new FakeMixpanelClient();
        fake.SetFlagVariant("new-checkout", "on", true);
        fake.RemoveFlag("new-checkout");

        var removed = fake.Flags.GetVariant("new-checkout", MixpanelFlagVariant.FromValue(false));
        var unknown = fake.Flags.IsEnabled("never-scripted");

        (removed.Source, removed.FallbackReason, removed.Value.ValueKind).Should().Be((MixpanelFlagSource.Fallback, MixpanelFlagFallbackReason.FlagNotFound, JsonValueKind.False));
        unknown.Should().BeFalse();
        fake.Exposures.Should().BeEmpty();
    }

    [Fact]
    public void ClientFlags_OptedOut_ExposureDroppedAsTheClientDropsEvents()
    {
        var fake = new FakeMixpanelClient();
        fake.SetFlagVariant("new-checkout", "on", true);
        fake.OptOutTracking();

        fake.Flags.IsEnabled("new-checkout").Should().BeTrue("opting out stops tracking, not the flags");
        fake.Exposures.Should().BeEmpty();
    }

    [Fact]
    public void ServerFlags_ScriptedPerVisitor_AnsweredForEachAndReportedOnceAsTheVisitor()
    {
        var fake = new FakeMixpanelServerClient();
        fake.SetFlagVariant("new-checkout", "control", false);
        fake.SetFlagVariant("new-checkout", "on", true, distinctId: "user-7");
        IMixpanelServerClient server = fake;
        var anonymous = MixpanelFlagContext.ForVisitor(new MixpanelVisitor("browser-1"));
        var user = MixpanelFlagContext.ForVisitor(new MixpanelVisitor("browser-2").WithUser("user-7"));

        server.Flags.IsEnabled("new-checkout", anonymous).Should().BeFalse();
        server.Flags.IsEnabled("new-checkout", user).Should().BeTrue();
        server.Flags.GetVariant("new-checkout", user).Key.Should().Be("on");
        server.Flags.GetVariant("unknown", user).FallbackReason.Should().Be(MixpanelFlagFallbackReason.FlagNotFound);

        fake.Exposures.Select(e => (e.DistinctId, e.DeviceId, e.UserId, e.Properties["Variant name"], e.Properties["Flag evaluation mode"])).Should().Equal(
            ("$device:browser-1", "browser-1", null, "control", "local"),
            ("user-7", "browser-2", "user-7", "on", "local"));
        fake.Events.Should().BeEmpty();
    }

    [Fact]
    public async Task ServerFlags_DeduplicationOffAndRemoteEvaluation_EveryServedVariantReportedInThatMode()
    {
        var fake = new FakeMixpanelServerClient(new MixpanelOptions
        {
            ProjectToken = "token",
            FlagsEvaluation = MixpanelFlagsEvaluation.Remote,
            FlagsDeduplicateExposures = false,
        });
        fake.SetFlagVariant("banner", "blue", "#00f");
        var context = new MixpanelFlagContext("user-7");

        var variant = await fake.Flags.GetVariantAsync("banner", context);
        fake.Flags.GetVariant("banner", context);

        (variant.Key, variant.Value.GetString(), variant.Source).Should().Be(("blue", "#00f", MixpanelFlagSource.Remote));
        fake.Exposures.Should().HaveCount(2).And.OnlyContain(e => (string?)e.Properties["Flag evaluation mode"] == "remote" && e.DistinctId == "user-7");
    }

    [Fact]
    public async Task ServerFlags_RemoteEvaluation_ACancelledRequestThrowsAndReportsNothing_AsTheClientDoes()
    {
        var fake = new FakeMixpanelServerClient(new MixpanelOptions { ProjectToken = "token", FlagsEvaluation = MixpanelFlagsEvaluation.Remote });
        fake.SetFlagVariant("banner", "blue", "#00f");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var ask = () => fake.Flags.GetVariantAsync("banner", new MixpanelFlagContext("user-7"), cancellationToken: cancelled.Token);

        await ask.Should().ThrowAsync<OperationCanceledException>("a request to Mixpanel abandoned before its answer has no variant");
        fake.Exposures.Should().BeEmpty();
    }

    [Fact]
    public void SetFlagVariant_EmptyKeys_ThrowWithTheParameterName()
    {
        var fake = new FakeMixpanelServerClient();

        fake.Invoking(f => f.SetFlagVariant("", "on", true)).Should().Throw<ArgumentException>().WithParameterName("flagKey");
        fake.Invoking(f => f.SetFlagVariant("flag", "", true)).Should().Throw<ArgumentException>().WithParameterName("variantKey");
        fake.Invoking(f => f.SetFlagVariant("flag", "on", true, "")).Should().Throw<ArgumentException>().WithParameterName("distinctId");
    }
}
