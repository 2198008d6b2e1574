using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Testing.Contract;

/// <summary>
/// One script of flag reads for a server's visitors, run through the real server client (its flags evaluated by a local
/// Mixpanel server from definitions) and through its fake scripted with the same variants: both must answer the same
/// variants and record the same exposures, stamped with the same visitors, in either evaluation mode.
/// </summary>
public sealed class FakeFlagsContractTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private const string Definitions = """
        {"flags": [
          {"id": "1", "name": "Checkout", "key": "new-checkout", "status": "active", "project_id": 1, "context": "distinct_id",
           "ruleset": {"variants": [{"key": "on", "value": true, "split": 1.0}], "rollout": [{"rollout_percentage": 1.0}]}},
          {"id": "2", "name": "Banner", "key": "banner", "status": "active", "project_id": 1, "context": "distinct_id",
           "ruleset": {"variants": [{"key": "blue", "value": {"color": "#00f", "sizes": [12, 16]}, "split": 1.0}], "rollout": [{"rollout_percentage": 1.0}]}}
        ]}
        """;

    private static readonly MixpanelVisitor Anonymous = new("browser-1");

    private static readonly MixpanelVisitor SignedIn = new MixpanelVisitor("browser-2").WithUser("U1");

    [Theory]
    [InlineData(MixpanelFlagsEvaluation.Local)]
    [InlineData(MixpanelFlagsEvaluation.Remote)]
    public async Task Reads_ThroughTheServerClientAndTheFake_AnswerAndReportTheSame(MixpanelFlagsEvaluation evaluation)
    {
        var clock = new FakeTimeProvider(Start);
        await using var server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = ContractRecords.Token, TimeProvider = clock });
        server.SetFlagDefinitions(Definitions);
        List<string> realAnswers;
        await using (var client = new MixpanelServerClient(Options(evaluation, server.BaseAddress), httpClient: null, clock))
        {
            await client.Flags.WhenReadyAsync();
            realAnswers = Read(client);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await client.FlushAsync(patience.Token);
        }

        var fake = new FakeMixpanelServerClient(Options(evaluation, server.BaseAddress), clock);
        fake.SetFlagVariant("new-checkout", "on", true);
        fake.SetFlagVariant("banner", "blue", new Dictionary<string, object?> { ["color"] = "#00f", ["sizes"] = new[] { 12, 16 } });
        var fakeAnswers = Read(fake);
        var realExposures = ContractRecords.FromServer(server.Records);
        output.WriteLine(string.Join(Environment.NewLine, realAnswers.Concat(realExposures)));

        fakeAnswers.Should().Equal(realAnswers);
        ContractRecords.FromFake(fake.AllEvents, [], []).Should().Equal(realExposures);
        realExposures.Should().HaveCount(3, "a variant served is reported once per visitor, flag and variant; a fallback never");
    }

    private static List<string> Read(IMixpanelServerClient client) =>
    [
        .. new[] { Anonymous, SignedIn, Anonymous }.SelectMany(visitor => new[] { "new-checkout", "banner", "unknown" }.Select(flag =>
        {
            var variant = client.Flags.GetVariant(flag, MixpanelFlagContext.ForVisitor(visitor), reportExposure: visitor != Anonymous || flag != "banner");
            return $"{visitor.DistinctId} {flag}: {variant.Key} {(variant.Value.ValueKind == JsonValueKind.Undefined ? "-" : JsonSerializer.Serialize(variant.Value))} {variant.Source} {variant.FallbackReason}";
        })),
    ];

    private static MixpanelOptions Options(MixpanelFlagsEvaluation evaluation, Uri apiHost) => new()
    {
        ProjectToken = ContractRecords.Token,
        ApiHost = apiHost,
        Storage = StorageMode.Memory,
        SendDefaultProperties = false,
        FlagsEvaluation = evaluation,
    };
}
