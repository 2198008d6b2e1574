namespace Mixpanel.Identity.Tests.Flags;

/// <summary>
/// Contexts drawn from a seeded generator: ASCII, non-ASCII and <c>$device:</c> ids, QA testers, groups present or
/// not, and custom properties of every kind the rules read (strings in mixed case and scripts, whole and fractional
/// numbers, numbers as text, booleans, null, lists, a nested object, versions and times valid and not).
/// </summary>
internal static class ParityContexts
{
    private static readonly string[] IdStems =
        ["user", "Ünïcødé", "用户", "пользователь", "ΣΊΣΥΦΟΣ", "😀emoji", "İstanbul", "tëster", "a b\tc", "0", "true", "1e3", "\u00e9\u0301"];

    private static readonly object?[] Plans =
        ["Premium", "PREMIUM", "premium", "free", "Free ", "enterprise", "İSTANBUL", "ΣΑΣ", "ﬀ-ligature", "", null, 1, true, "prem"];

    private static readonly object?[] Ages = [42, 42.0, "42", " 42 ", 17, 30.5, 65, 0, -3, "0x2A", "abc", true, false, null, 1e21, 99];

    private static readonly object?[] Scores = [0.5, 0.1, -0.5, 0, -0.0, 1, 1.5, "0.75", "", 2.5e-7, 123456789.125, null, false];

    private static readonly object?[] Versions =
    [
        "1.2.3", "v1.2", "V1.10.0", "1.2.3-beta.2", "1.2.3-Beta.10", "1.2.3-alpha", "1.2.3+build.5", "01.2.3", " 2.0.0 ", "2",
        "1.2.3-rc.1+meta", "1.2.3.4", "1.2.x", "", 1.2, null, "999999999999999999999.0.0", "1.2.3-0", "1.2.3-alpha.1",
    ];

    private static readonly object?[] Times =
    [
        "2024-01-01T00:00:00Z", "2024-01-01t00:00:00z", "2023-11-14T22:13:20Z", "2023-11-14T22:13:21.5+00:00", "2020-09-13T12:26:39.999Z",
        "2020-02-29T10:00:00-05:00", "2021-02-29T10:00:00Z", "1969-12-31T23:59:59Z", "2000-02-29T00:00:00+23:59", "2024-01-01T24:00:00Z",
        "2024-01-01T00:60:00Z", "2024-01-01 00:00:00Z", "2024-13-01T00:00:00Z", " 2024-06-30T12:00:00.123456+02:00 ", "0000-01-01T00:00:00Z",
        1700000000000, null, "not a time",
    ];

    private static readonly object?[] Countries = ["DE", "de", "Deutschland", "FR", "jp", "United Kingdom", "", null, 49];

    private static readonly string[] Tags = ["VIP", "beta", "Alpha", "banned", "gold", "ä"];

    public static List<MixpanelFlagContext> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var contexts = new List<MixpanelFlagContext>(count);
        string[] testers = ["tester-1", "tëster-ü", "用户-7", "tester-ghost", "$device:tester-2"];
        for (var i = 0; i < count; i++)
        {
            var distinctId = random.Next(40) == 0
                ? testers[random.Next(testers.Length)]
                : (random.Next(4) == 0 ? "$device:" : string.Empty) + IdStems[random.Next(IdStems.Length)] + "-" + random.Next(1_000_000);
            var context = new MixpanelFlagContext(distinctId)
            {
                DeviceId = random.Next(3) == 0 ? null : "dev-" + random.Next(1_000_000) + (random.Next(5) == 0 ? "-ñ" : string.Empty),
            };
            if (random.Next(2) == 0)
            {
                context.Groups["company_id"] = "company-" + random.Next(100_000) + (random.Next(6) == 0 ? "-株式会社" : string.Empty);
            }

            if (random.Next(6) != 0)
            {
                AddProperties(context.CustomProperties, random);
            }

            contexts.Add(context);
        }

        return contexts;
    }

    private static void AddProperties(IDictionary<string, object?> properties, Random random)
    {
        void Maybe(string name, object?[] values)
        {
            if (random.Next(5) != 0)
            {
                properties[name] = values[random.Next(values.Length)];
            }
        }

        Maybe(random.Next(3) == 0 ? "Plan" : "plan", Plans);
        Maybe("age", Ages);
        Maybe("score", Scores);
        Maybe("app_version", Versions);
        Maybe("signup", Times);
        Maybe(random.Next(2) == 0 ? "Country" : "country", Countries);
        Maybe("beta", [true, false, "true", "TRUE", 1, 0, null]);
        if (random.Next(3) != 0)
        {
            properties["tags"] = Enumerable.Range(0, random.Next(4)).Select(_ => Tags[random.Next(Tags.Length)]).ToList();
        }

        if (random.Next(4) == 0)
        {
            properties["nested"] = new Dictionary<string, object?> { ["Level"] = random.Next(2) == 0 ? "Gold" : "silver" };
        }
    }
}
