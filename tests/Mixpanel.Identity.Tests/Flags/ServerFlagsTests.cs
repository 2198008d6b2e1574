using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Flags;

/// <summary>
/// <see cref="MixpanelServerClient.Flags"/> against the local server, which serves definitions a test gives and evaluates
/// remote requests with the same evaluator: local and remote evaluation, polling, exposures and network failures.
/// </summary>
public sealed class ServerFlagsTests
{
    private const string DeviceId = "0b9c1f7e-3a52-4e0b-8d7c-5f1e2a3b4c5d";

    private const string Definitions = """
        {"flags": [
          {"id": "1", "name": "Checkout", "key": "new-checkout", "status": "active", "project_id": 1, "context": "distinct_id",
           "experiment_id": "exp-42", "is_experiment_active": true, "hash_salt": "c0ffee",
           "ruleset": {"variants": [{"key": "control", "value": false, "is_control": true, "split": 0.0}, {"key": "on", "value": true, "split": 1.0}],
                       "rollout": [{"rollout_percentage": 1.0, "runtime_evaluation_rule": {"==": [{"var": "plan"}, "pro"]}}],
                       "test": {"users": {"qa-person": "control"}}}},
          {"id": "2", "name": "Banner", "key": "banner-color", "status": "active", "project_id": 1, "context": "distinct_id",
           "ruleset": {"variants": [{"key": "blue", "value": "#00f", "split": 1.0}], "rollout": [{"rollout_percentage": 1.0}]}}
        ]}
        """;

    [Fact]
    public async Task GetVariant_Local_EvaluatesServedDefinitionsAndReportsOneExposureAsTheVisitor()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.SetFlagDefinitions(Definitions);
        await using var client = harness.StartServerClient();
        await client.Flags.WhenReadyAsync(DeliveryHarness.Patience);
        var visitor = new MixpanelVisitor(DeviceId).WithUser("user-7");
        var context = MixpanelFlagContext.ForVisitor(visitor);
        context.CustomProperties["plan"] = "PRO";

        var first = client.Flags.GetVariant("new-checkout", context);
        var again = client.Flags.GetVariant("new-checkout", context);
        var notInRule = client.Flags.GetVariant("new-checkout", MixpanelFlagContext.ForVisitor(new MixpanelVisitor(DeviceId)), MixpanelFlagVariant.FromValue(false));
        await client.FlushAsync(DeliveryHarness.Patience);

        first.Key.Should().Be("on");
        first.Value.GetBoolean().Should().BeTrue();
        first.Source.Should().Be(MixpanelFlagSource.Local);
        first.FallbackReason.Should().BeNull();
        again.Key.Should().Be("on");
        notInRule.Source.Should().Be(MixpanelFlagSource.Fallback);
        notInRule.FallbackReason.Should().Be(MixpanelFlagFallbackReason.NoRolloutMatch);
        notInRule.Value.GetBoolean().Should().BeFalse();
        client.Flags.IsEnabled("new-checkout", context).Should().BeTrue();

        var exposure = harness.Server.Exposures.Should().ContainSingle("a repeated exposure is remembered, and a fallback is never one").Subject;
        exposure.DistinctId.Should().Be("user-7");
        exposure.DeviceId.Should().Be(DeviceId);
        exposure.UserId.Should().Be("user-7");
        var properties = exposure.Properties;
        properties.GetProperty("Experiment name").GetString().Should().Be("new-checkout");
        properties.GetProperty("Variant name").GetString().Should().Be("on");
        properties.GetProperty("$experiment_type").GetString().Should().Be("feature_flag");
        properties.GetProperty("Flag evaluation mode").GetString().Should().Be("local");
        properties.GetProperty("$experiment_id").GetString().Should().Be("exp-42");
        properties.GetProperty("$is_experiment_active").GetBoolean().Should().BeTrue();
        properties.GetProperty("$is_qa_tester").GetBoolean().Should().BeFalse();
    }

    [Fact]
    public async Task GetVariant_DeduplicationOff_EveryEvaluationReported()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.SetFlagDefinitions(Definitions);
        await using var client = harness.StartServerClient(options => options.FlagsDeduplicateExposures = false);
        await client.Flags.WhenReadyAsync(DeliveryHarness.Patience);
        var context = new MixpanelFlagContext("qa-person") { DeviceId = DeviceId };

        client.Flags.GetVariant("new-checkout", context).Key.Should().Be("control");
        client.Flags.GetVariant("new-checkout", context).IsQaTester.Should().BeTrue();
        client.Flags.GetVariant("banner-color", context, reportExposure: false);
        await client.FlushAsync(DeliveryHarness.Patience);

        harness.Server.Exposures.Should().HaveCount(2).And.OnlyContain(e => e.Properties.GetProperty("$is_qa_tester").GetBoolean());
        harness.Server.Exposures.Should().OnlyContain(e => e.DistinctId == "qa-person" && e.DeviceId == DeviceId);
    }

    [Fact]
    public async Task Definitions_PolledAtTheInterval_ChangesTakeEffect()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.SetFlagDefinitions(Definitions);
        await using var client = harness.StartServerClient(options => options.FlagsPollingInterval = TimeSpan.FromSeconds(30));
        await client.Flags.WhenReadyAsync(DeliveryHarness.Patience);
        var context = new MixpanelFlagContext("someone");
        client.Flags.GetVariant("banner-color", context).Key.Should().Be("blue");

        harness.Server.SetFlagDefinitions("""{"flags": []}""");
        var next = client.Flags.NextDefinitionsFetchAsync();
        harness.Time.Advance(TimeSpan.FromSeconds(30));
        (await next.WaitAsync(DeliveryHarness.Patience)).Should().BeTrue();

        client.Flags.GetVariant("banner-color", context).FallbackReason.Should().Be(MixpanelFlagFallbackReason.FlagNotFound);
        harness.Server.FlagRequestCount.Should().Be(2);
    }

    [Fact]
    public async Task GetVariantAsync_Remote_AnsweredByMixpanelAndReportedAsRemote()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        harness.Server.SetFlagDefinitions(Definitions);
        await using var client = harness.StartServerClient(options => options.FlagsEvaluation = MixpanelFlagsEvaluation.Remote);
        var context = new MixpanelFlagContext("$device:" + DeviceId) { DeviceId = DeviceId };
        context.CustomProperties["plan"] = "pro";

        var variant = await client.Flags.GetVariantAsync("new-checkout", context, cancellationToken: DeliveryHarness.Patience);
        var missing = await client.Flags.GetVariantAsync("no-such-flag", context, cancellationToken: DeliveryHarness.Patience);
        await client.FlushAsync(DeliveryHarness.Patience);

        variant.Key.Should().Be("on");
        variant.Source.Should().Be(MixpanelFlagSource.Remote);
        variant.ExperimentId.Should().Be("exp-42");
        missing.FallbackReason.Should().Be(MixpanelFlagFallbackReason.FlagNotFound);
        var exposure = harness.Server.Exposures.Should().ContainSingle().Subject;
        exposure.DistinctId.Should().Be("$device:" + DeviceId);
        exposure.UserId.Should().BeNull();
        exposure.Properties.GetProperty("Flag evaluation mode").GetString().Should().Be("remote");
        exposure.Properties.TryGetProperty("Variant fetch latency (ms)", out _).Should().BeTrue();
    }

    [Fact]
    public async Task GetVariant_MixpanelUnreachable_FallbackWithReasonAndNoThrow()
    {
        var unreachable = await LocalMixpanelServer.StartAsync();
        var host = unreachable.BaseAddress;
        await unreachable.DisposeAsync();
        var options = new MixpanelOptions { ProjectToken = "t", ApiHost = host, Storage = StorageMode.Memory, ShutdownTimeout = TimeSpan.Zero };
        await using var local = new MixpanelServerClient(options);
        options.FlagsEvaluation = MixpanelFlagsEvaluation.Remote;
        await using var remote = new MixpanelServerClient(options);
        var context = new MixpanelFlagContext("someone");

        await local.Flags.WhenReadyAsync(DeliveryHarness.Patience);
        var notReady = local.Flags.GetVariant("new-checkout", context, MixpanelFlagVariant.FromValue("fallback"));
        var backendError = await remote.Flags.GetVariantAsync("new-checkout", context, cancellationToken: DeliveryHarness.Patience);

        notReady.FallbackReason.Should().Be(MixpanelFlagFallbackReason.NotReady);
        notReady.Value.GetString().Should().Be("fallback");
        backendError.FallbackReason.Should().Be(MixpanelFlagFallbackReason.BackendError);
        backendError.Key.Should().BeNull();
        remote.Flags.IsEnabled("new-checkout", context).Should().BeFalse();
    }
}
