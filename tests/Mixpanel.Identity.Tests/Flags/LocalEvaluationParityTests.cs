using System.Text;
using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Flags;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Tests.JavaScript;
using Xunit;

namespace Mixpanel.Identity.Tests.Flags;

/// <summary>
/// Local evaluation against Mixpanel's own: the official node library (npm <c>mixpanel</c> 0.24.0, its
/// <c>lib/flags/local_flags.js</c> with json-logic-js 2.0.5) and this client evaluate the same definitions for the same
/// generated contexts, and must give the same variant, or the same fallback, every time.
/// </summary>
[Collection(UsesJavaScript.Name)]
public sealed class LocalEvaluationParityTests(JavaScriptTools js)
{
    private const int ContextCount = 10_000;

    [Fact]
    public async Task Evaluate_TenThousandContextsOverEveryRuleAndStructure_SameAnswerAsTheOfficialNodeLibrary()
    {
        var definitionsJson = ParityDefinitions.Json();
        using var definitions = JsonDocument.Parse(definitionsJson);
        var flags = FlagDefinition.ReadAll(definitions.RootElement);
        var keys = ParityDefinitions.AllKeys.ToArray();
        var contexts = ParityContexts.Generate(ContextCount, seed: 20251207);

        using var folder = new TempDirectory();
        var input = folder.Combine("flags-input.json");
        var json = new StringBuilder("{\"flags\": ").Append(definitions.RootElement.GetProperty("flags").GetRawText())
            .Append(", \"keys\": ").Append(JsonSerializer.Serialize(keys)).Append(", \"contexts\": [")
            .AppendJoin(",", contexts.Select(FlagContextJson.ToJson)).Append("]}");
        await File.WriteAllTextAsync(input, json.ToString());

        var run = await js.RunNodeAsync("mixpanel-flags-evaluator.js", [input]);

        run.ExitCode.Should().Be(0, run.ToString());
        var official = JsonSerializer.Deserialize<string[]>(run.StandardOutput)!;
        official.Should().HaveCount(ContextCount * keys.Length);
        var differences = new List<string>();
        var answers = new Dictionary<string, int>();
        for (var c = 0; c < contexts.Count; c++)
        {
            for (var k = 0; k < keys.Length; k++)
            {
                var ours = Answer(LocalEvaluator.Evaluate(flags.GetValueOrDefault(keys[k]), contexts[c]));
                var theirs = official[(c * keys.Length) + k];
                answers[keys[k] + " " + ours] = answers.GetValueOrDefault(keys[k] + " " + ours) + 1;
                if (ours != theirs && differences.Count < 20)
                {
                    differences.Add($"{keys[k]} for {FlagContextJson.ToJson(contexts[c])}: ours {ours}, node {theirs}");
                }
            }
        }

        differences.Should().BeEmpty();

        // The contexts reach both outcomes of every rule and structure, so that agreement is about something.
        // Five answer the same for everyone by design: no flag, no share, a rule that throws, an unknown comparison, an array.
        var oneSided = keys.Except(["no-such-flag", "zero-rollout", "rule-unknown-operation", "rule-reduce-nothing", "rule-semver-bad-symbol", "rule-array-result"])
            .Where(key => answers.Keys.Count(a => a.StartsWith(key + " ", StringComparison.Ordinal)) < 2);
        oneSided.Should().BeEmpty("every rule and structure should both match and not match some contexts");

        answers.Should().ContainKey("qa-testers Variant*").And.ContainKey("qa-testers Control*");
        answers.Should().ContainKey("by-device !MISSING_CONTEXT_KEY").And.ContainKey("by-company !MISSING_CONTEXT_KEY");
    }

    private static string Answer(FlagAssignment assignment) =>
        assignment.Variant is { } variant ? variant.Key + (assignment.IsQaTester ? "*" : string.Empty) : "!" + Reason(assignment.Reason!.Value);

    private static string Reason(MixpanelFlagFallbackReason reason) => reason switch
    {
        MixpanelFlagFallbackReason.FlagNotFound => "FLAG_NOT_FOUND",
        MixpanelFlagFallbackReason.MissingContextKey => "MISSING_CONTEXT_KEY",
        MixpanelFlagFallbackReason.NoRolloutMatch => "NO_ROLLOUT_MATCH",
        _ => reason.ToString(),
    };
}
