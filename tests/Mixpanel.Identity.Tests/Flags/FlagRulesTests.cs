using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Flags;
using Xunit;

namespace Mixpanel.Identity.Tests.Flags;

/// <summary>The pure rules of local evaluation, pinned by the official SDKs' vectors and JavaScript's own answers.</summary>
public sealed class FlagRulesTests
{
    [Theory]
    [InlineData("abc", "variant", 0.72)] // Mixpanel's SDK tests
    [InlineData("def", "variant", 0.21)] // Mixpanel's SDK tests
    [InlineData("用户-7", "qavariant", 0.08)] // the values below: node's normalizedHash (mixpanel 0.24.0)
    [InlineData("Ünïcødé", "rollout", 0.45)]
    [InlineData("😀", "x", 0.76)]
    [InlineData("true", "flag0", 0.17)]
    [InlineData("1", "flag0", 0.94)]
    public void Normalized_OfficialAndNodeVectors_SameBucket(string key, string salt, double expected) =>
        FlagHash.Normalized(key, salt).Should().Be(expected);

    [Fact]
    public void Normalized_LoneSurrogate_HashedAsTheReplacementCharacter()
    {
        // Test data would not carry a lone surrogate through discovery intact: node gives 0.82 for ("\ud800", "x").
        FlagHash.Normalized("\ud800", "x").Should().Be(0.82);
        FlagHash.Normalized("\ud800", "x").Should().Be(FlagHash.Normalized("\ufffd", "x"));
    }

    [Theory]
    [InlineData(1e21, "1e+21")]
    [InlineData(1e20, "100000000000000000000")]
    [InlineData(1.5e-7, "1.5e-7")]
    [InlineData(0.000001, "0.000001")]
    [InlineData(3.0, "3")]
    [InlineData(-0.0, "0")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(123e-20, "1.23e-18")]
    [InlineData(9007199254740994, "9007199254740994")]
    public void NumberToString_AsJavaScriptPrintsIt(double value, string expected) =>
        JsNumbers.NumberToString(value).Should().Be(expected);

    [Theory]
    [InlineData(" 42 ", 42)]
    [InlineData("0x2A", 42)]
    [InlineData("", 0)]
    [InlineData("1e3", 1000)]
    [InlineData(".5", 0.5)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    public void StringToNumber_AsJavaScriptReadsIt(string text, double expected) =>
        JsNumbers.StringToNumber(text).Should().Be(expected);

    [Theory]
    [InlineData("12px")]
    [InlineData("infinity")]
    [InlineData("1,000")]
    [InlineData("NaN")]
    public void StringToNumber_NotALiteral_NaN(string text) => double.IsNaN(JsNumbers.StringToNumber(text)).Should().BeTrue();

    [Theory]
    [InlineData("İ", "i\u0307")]
    [InlineData("ΣΑΣ", "σας")]
    [InlineData("ΣΊΣΥΦΟΣ-1", "σίσυφος-1")]
    public void ToLower_FullUnicodeMapping_AsJavaScript(string text, string expected) => JsValues.ToLower(text).Should().Be(expected);

    [Fact]
    public void Evaluate_CohortGatedRollout_SkippedInsteadOfOpenedToEveryone()
    {
        // Mixpanel's node SDK evaluates a cohort-gated rollout as open to all; only Mixpanel knows the cohort, so it is skipped.
        var flag = Definition("""
            {"key": "cohort", "context": "distinct_id", "ruleset": {"variants": [{"key": "on", "value": true, "split": 1}],
             "rollout": [{"rollout_percentage": 1.0, "cohort_hash": "c0h0rt"}, {"rollout_percentage": 0.0}]}}
            """);

        var assignment = LocalEvaluator.Evaluate(flag, new MixpanelFlagContext("anyone"));

        assignment.Variant.Should().BeNull();
        assignment.Reason.Should().Be(MixpanelFlagFallbackReason.NoRolloutMatch);
    }

    [Fact]
    public void Evaluate_RuleWithoutCustomProperties_AppliedToEmptyData()
    {
        var flag = Definition("""
            {"key": "absent", "context": "distinct_id", "ruleset": {"variants": [{"key": "on", "value": true, "split": 1}],
             "rollout": [{"rollout_percentage": 1.0, "runtime_evaluation_rule": {"!": {"var": "plan"}}}]}}
            """);

        LocalEvaluator.Evaluate(flag, new MixpanelFlagContext("anyone")).Variant!.Key.Should().Be("on");
    }

    [Fact]
    public void Evaluate_VariantOverrideAndSplits_ForcedVariantWinsAndSplitsSumInOrder()
    {
        var flag = Definition("""
            {"key": "k", "context": "distinct_id", "ruleset": {"variants": [{"key": "a", "value": 1, "split": 0}, {"key": "B", "value": 2, "split": 0}],
             "rollout": [{"rollout_percentage": 1.0, "variant_override": {"key": "b"}}]}}
            """);

        LocalEvaluator.Evaluate(flag, new MixpanelFlagContext("x")).Variant!.Key.Should().Be("B");
    }

    private static FlagDefinition Definition(string json)
    {
        using var document = JsonDocument.Parse(json);
        return FlagDefinition.Read(document.RootElement);
    }
}
