using System.Text;

namespace Mixpanel.Identity.Tests.Flags;

/// <summary>
/// Flag definitions that exercise every part of local evaluation: several rollouts, salts present, empty and absent,
/// splits and per-rollout splits, forced variants, QA testers, assignment by device and by group, and one flag per
/// runtime rule, covering every operation json-logic-js and Mixpanel's two additions know, and the legacy rule.
/// </summary>
internal static class ParityDefinitions
{
    /// <summary>One rule per flag: "rule-&lt;name&gt;" is in its only rollout (100%) exactly when the rule holds.</summary>
    public static readonly (string Name, string Rule)[] Rules =
    [
        ("eq-loose", """{"==": [{"var": "age"}, "42"]}"""),
        ("eq-bool", """{"==": [{"var": "beta"}, 1]}"""),
        ("eq-null", """{"==": [{"var": "plan"}, null]}"""),
        ("eq-strict", """{"===": [{"var": "plan"}, "PREMIUM"]}"""),
        ("ne-loose", """{"!=": [{"var": "score"}, 0]}"""),
        ("ne-strict", """{"!==": [{"var": "age"}, 42]}"""),
        ("gt", """{">": [{"var": "age"}, 30]}"""),
        ("gt-strings", """{">": [{"var": "plan"}, "m"]}"""),
        ("ge", """{">=": [{"var": "score"}, 0.5]}"""),
        ("lt", """{"<": [{"var": "age"}, 18]}"""),
        ("lt-between", """{"<": [10, {"var": "age"}, 65]}"""),
        ("le", """{"<=": [{"var": "age"}, 0]}"""),
        ("le-between", """{"<=": [0, {"var": "score"}, 1]}"""),
        ("not", """{"!": {"var": "beta"}}"""),
        ("not-array", """{"!": [{"var": "tags"}]}"""),
        ("truthy", """{"!!": {"var": "tags"}}"""),
        ("mod", """{"==": [{"%": [{"var": "age"}, 2]}, 0]}"""),
        ("log", """{"log": {"var": "beta"}}"""),
        ("in-string", """{"in": ["prem", {"var": "plan"}]}"""),
        ("in-array", """{"in": ["vip", {"var": "tags"}]}"""),
        ("cat", """{"==": [{"cat": [{"var": "plan"}, "-", {"var": "age"}]}, "premium-42"]}"""),
        ("substr", """{"==": [{"substr": [{"var": "country"}, 0, 2]}, "de"]}"""),
        ("substr-negative", """{"==": [{"substr": [{"var": "plan"}, 1, -1]}, "remiu"]}"""),
        ("plus", """{">": [{"+": [{"var": "age"}, {"var": "score"}]}, 40]}"""),
        ("times", """{"<": [{"*": [{"var": "score"}, 2]}, 1]}"""),
        ("minus", """{"<": [{"-": [{"var": "age"}, 40]}, 0]}"""),
        ("negate", """{"<": [{"-": {"var": "score"}}, -0.25]}"""),
        ("divide", """{">": [{"/": [{"var": "age"}, 3]}, 10]}"""),
        ("min", """{"<": [{"min": [{"var": "age"}, {"var": "score"}, 5]}, 1]}"""),
        ("max", """{">": [{"max": [{"var": "age"}, 50]}, 50]}"""),
        ("merge", """{"in": ["gold", {"merge": [{"var": "tags"}, [{"var": "nested.level"}]]}]}"""),
        ("var-default", """{"==": [{"var": ["plan", "none"]}, "none"]}"""),
        ("var-nested", """{"==": [{"var": "nested.level"}, "gold"]}"""),
        ("var-index", """{"==": [{"var": "tags.0"}, "vip"]}"""),
        ("var-length", """{">": [{"var": "country.length"}, 5]}"""),
        ("missing", """{"!": {"missing": ["plan", "age"]}}"""),
        ("missing-some", """{"!": {"missing_some": [2, ["plan", "age", "beta"]]}}"""),
        ("if", """{"if": [{"var": "beta"}, {">": [{"var": "age"}, 20]}, {"==": [{"var": "plan"}, "free"]}, true, false]}"""),
        ("ternary", """{"?:": [{"var": "beta"}, true, {"var": "tags"}]}"""),
        ("and", """{"and": [{"var": "beta"}, {"var": "plan"}]}"""),
        ("or", """{"or": [{"var": "beta"}, {"var": "score"}]}"""),
        ("filter", """{">": [{"var": [{"filter": [{"var": "tags"}, {"in": ["a", {"var": ""}]}]}, ".length"]}, 0]}"""),
        ("filter-count", """{"!!": {"filter": [{"var": "tags"}, {"==": [{"var": ""}, "beta"]}]}}"""),
        ("map", """{"in": ["VIP!", {"map": [{"var": "tags"}, {"cat": [{"var": ""}, "!"]}]}]}"""),
        ("reduce", """{">": [{"reduce": [{"var": "tags"}, {"+": [{"var": "accumulator"}, 1]}, 0]}, 1]}"""),
        ("all", """{"all": [{"var": "tags"}, {"<": [{"var": ".length"}, 5]}]}"""),
        ("none", """{"none": [{"var": "tags"}, {"==": [{"var": ""}, "banned"]}]}"""),
        ("some", """{"some": [{"var": "tags"}, {"==": [{"var": ""}, "vip"]}]}"""),
        ("semver-ge", """{"semver_compare": [{"var": "app_version"}, ">=", "1.2.0"]}"""),
        ("semver-gt", """{"semver_compare": [{"var": "app_version"}, ">", "1.2.3-Beta.2"]}"""),
        ("semver-lt", """{"semver_compare": [{"var": "app_version"}, "<", "2"]}"""),
        ("semver-le", """{"semver_compare": [{"var": "app_version"}, "<=", "v1.10"]}"""),
        ("semver-eq", """{"semver_compare": [{"var": "app_version"}, "===", "1.2.3"]}"""),
        ("semver-ne", """{"semver_compare": [{"var": "app_version"}, "!==", "1.2.3-alpha"]}"""),
        ("semver-bad-symbol", """{"semver_compare": [{"var": "app_version"}, "~=", "1.2.3"]}"""),
        ("datetime-after", """{"datetime_compare": [{"var": "signup"}, ">", 1700000000000]}"""),
        ("datetime-before", """{"datetime_compare": [{"var": "signup"}, "<=", 1600000000999]}"""),
        ("datetime-eq", """{"datetime_compare": [{"var": "signup"}, "===", 1704067200000]}"""),
        ("datetime-ne", """{"datetime_compare": [{"var": "signup"}, "!==", 1704067200000]}"""),
        ("datetime-lt", """{"datetime_compare": [{"var": "signup"}, "<", 0]}"""),
        ("datetime-ge", """{"datetime_compare": [{"var": "signup"}, ">=", 951782400000]}"""),
        ("unknown-operation", """{"regex_match": [{"var": "plan"}, "p.*"]}"""),
        ("reduce-nothing", """{"*": []}"""),
        ("array-result", """{"merge": []}"""),
        ("no-properties", """{"!": {"var": "plan"}}"""),
    ];

    public static readonly string[] StructureKeys =
    [
        "gate", "salted-rollouts", "empty-salt", "by-device", "by-company", "qa-testers", "uneven-splits", "legacy-rule",
        "disabled-but-defined", "zero-rollout",
    ];

    public static IEnumerable<string> AllKeys => StructureKeys.Concat(Rules.Select(r => "rule-" + r.Name)).Append("no-such-flag");

    public static string Json()
    {
        var flags = new List<string>
        {
            Flag("gate", "distinct_id", null, """[{"key": "on", "value": true, "split": 1.0}]""", """[{"rollout_percentage": 0.5}]"""),
            Flag("salted-rollouts", "distinct_id", "\"f00d\"",
                """[{"key": "control", "value": "blue", "is_control": true, "split": 0.34}, {"key": "Treatment-A", "value": "green", "split": 0.33}, {"key": "treatment-b", "value": {"color": "red", "size": 3}, "split": 0.33}]""",
                """
                [{"rollout_percentage": 0.1, "variant_override": {"key": "TREATMENT-A"}},
                 {"rollout_percentage": 0.3, "runtime_evaluation_rule": {"==": [{"var": "Plan"}, "Premium"]}, "variant_splits": {"control": 0.0, "Treatment-A": 0.5, "treatment-b": 0.5}},
                 {"rollout_percentage": 0.8, "variant_override": {"key": "no-such-variant"}},
                 {"rollout_percentage": 1.0, "runtime_evaluation_rule": {"in": [{"var": "country"}, ["de", "fr", "jp"]]}}]
                """,
                experiment: """, "experiment_id": "exp-123", "is_experiment_active": true"""),
            Flag("empty-salt", "distinct_id", "\"\"", """[{"key": "a", "value": 1, "split": 0.5}, {"key": "b", "value": 2, "split": 0.5}]""", """[{"rollout_percentage": 0.6}, {"rollout_percentage": 0.9}]"""),
            Flag("by-device", "device_id", "\"d3v\"", """[{"key": "x", "value": "x", "split": 0.2}, {"key": "y", "value": "y", "split": 0.8}]""", """[{"rollout_percentage": 0.75}]"""),
            Flag("by-company", "company_id", null, """[{"key": "team-plan", "value": true, "split": 1}]""", """[{"rollout_percentage": 0.4}]"""),
            Flag("qa-testers", "distinct_id", "\"qa\"",
                """[{"key": "Control", "value": false, "split": 0.5}, {"key": "Variant", "value": true, "split": 0.5}]""",
                """[{"rollout_percentage": 0.05}]""",
                test: """, "test": {"users": {"tester-1": "VARIANT", "tëster-ü": "control", "用户-7": "variant", "tester-ghost": "missing-variant", "$device:tester-2": "Control"}}"""),
            Flag("uneven-splits", "distinct_id", "\"s\"", """[{"key": "one", "value": 1, "split": 0.1}, {"key": "two", "value": 2, "split": 0.2}, {"key": "three", "value": 3}]""", """[{"rollout_percentage": 1.0, "variant_splits": {"two": 0.05}}]"""),
            Flag("legacy-rule", "distinct_id", null, """[{"key": "on", "value": true, "split": 1}]""", """[{"rollout_percentage": 1.0, "runtime_evaluation_definition": {"plan": "PREMIUM", "beta": "true"}}]"""),
            Flag("disabled-but-defined", "distinct_id", "\"off\"", """[{"key": "on", "value": true, "split": 1}]""", """[{"rollout_percentage": 0.5}]""", status: "disabled"),
            Flag("zero-rollout", "distinct_id", null, """[{"key": "on", "value": true, "split": 1}]""", """[{"rollout_percentage": 0.0}]"""),
        };
        flags.AddRange(Rules.Select(r => Flag("rule-" + r.Name, "distinct_id", null, """[{"key": "on", "value": true, "split": 1}]""", $$"""[{"rollout_percentage": 1.0, "runtime_evaluation_rule": {{r.Rule}}}]""")));
        return "{\"flags\": [" + string.Join(",\n", flags) + "]}";
    }

    private static string Flag(string key, string context, string? salt, string variants, string rollouts, string experiment = "", string test = "", string status = "active")
    {
        var text = new StringBuilder();
        text.Append($$"""{"id": "id-{{key}}", "name": "{{key}}", "key": "{{key}}", "status": "{{status}}", "project_id": 1, "context": "{{context}}"{{experiment}}""");
        if (salt is not null)
        {
            text.Append($", \"hash_salt\": {salt}");
        }

        text.Append($$$""", "ruleset": {"variants": {{{variants}}}, "rollout": {{{rollouts}}}{{{test}}}}}""");
        return text.ToString();
    }
}
