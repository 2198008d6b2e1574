using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Tests.JavaScript;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>
/// Mixpanel's official node library (<c>mixpanel</c> on npm), unchanged, against the local server: whatever it sends, the
/// way it sends it (single records as <c>GET ?data=&lt;base64&gt;</c>, batches as forms, imports with a secret or a
/// service account over HTTPS), must be accepted and arrive as records.
/// </summary>
[Collection(UsesJavaScript.Name)]
public sealed class OfficialNodeLibraryTests(JavaScriptTools js)
{
    private const string Token = "node-project-token";
    private const string Secret = "node-api-secret";
    private const string Account = "node-importer.service-account";
    private const string AccountSecret = "node-service-account-secret";
    private const string Project = "2718281";

    [Fact]
    public async Task MixpanelNode_OneCallOfEachKind_EveryRequestAcceptedAndEveryRecordArrives()
    {
        await using var server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token });
        var secure = new LocalMixpanelServerOptions { ProjectToken = Token, UseHttps = true, ApiSecret = Secret, ProjectId = Project };
        secure.ServiceAccounts[Account] = AccountSecret;
        await using var importServer = await LocalMixpanelServer.StartAsync(secure);
        using var folder = new TempDirectory();
        var certificate = folder.Combine("local-server.pem");
        await File.WriteAllTextAsync(certificate, importServer.Certificate!.ExportCertificatePem());
        var settings = JsonSerializer.Serialize(new
        {
            token = Token,
            port = server.BaseAddress.Port,
            httpsPort = importServer.BaseAddress.Port,
            secret = Secret,
            account = new { username = Account, secret = AccountSecret, projectId = Project },
            now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(),
        });

        var run = await js.RunNodeAsync("mixpanel-node-client.js", [settings], new Dictionary<string, string?> { ["NODE_EXTRA_CA_CERTS"] = certificate });

        run.ExitCode.Should().Be(0, run.ToString());
        var output = JsonDocument.Parse(run.StandardOutput).RootElement;
        output.GetProperty("library").GetString().Should().Be("0.24.0");
        var calls = output.GetProperty("calls").EnumerateArray().ToArray();
        calls.Should().HaveCount(22, run.StandardOutput);
        calls.Should().OnlyContain(c => c.GetProperty("errors").GetArrayLength() == 0, "the library heard '1' for every call: " + run.StandardOutput);

        // track, alias and every profile or group update go out one by one as GET ?data=<base64>; track_batch is a form POST.
        server.Requests.Should().HaveCount(19);
        server.Requests.Should().OnlyContain(r => r.StatusCode == 200 && r.Error == null);
        server.Requests.Where(r => r.Method == "POST").Should().ContainSingle()
            .Which.ContentType.Should().Be("application/x-www-form-urlencoded");
        server.RejectedRecords.Should().BeEmpty();

        var records = server.DeduplicatedRecords;
        records.Where(r => r.Endpoint == MixpanelEndpoint.Track).Select(r => r.EventName)
            .Should().Equal("Signed Up", "Viewed Pricing", "Started Trial", "Invited Teammate", "$create_alias");
        records.Where(r => r.IsEvent).Should().OnlyContain(r => r.DistinctId == "user-1");
        records[0].Properties.GetProperty("mp_lib").GetString().Should().Be("node");
        records.Where(r => r.Endpoint == MixpanelEndpoint.Engage).Select(OperationOf)
            .Should().Equal("$set", "$set_once", "$add", "$append", "$union", "$remove", "$unset", "$append", "$set", "$delete");
        records.Where(r => r.Endpoint == MixpanelEndpoint.Groups).Select(OperationOf)
            .Should().Equal("$set", "$set_once", "$union", "$remove", "$unset", "$delete");
        records.Should().HaveCount(21);

        // The library sends ip=0: only the addresses the records carry themselves locate them.
        records.Single(r => r.EventName == "Signed Up").GeolocationIp.Should().Be("136.24.0.114");
        records.First(r => r.Endpoint == MixpanelEndpoint.Engage).GeolocationIp.Should().Be("136.24.0.114");
        records.Where(r => r.Endpoint == MixpanelEndpoint.Engage).Skip(1).Should().OnlyContain(r => r.GeolocationIp == null);

        // Imports: with the API secret (a GET and a form POST) and with a service account and its project, over HTTPS.
        importServer.Requests.Should().HaveCount(3, string.Join('\n', importServer.Requests));
        importServer.Requests.Should().OnlyContain(r => r.StatusCode == 200 && r.Endpoint == MixpanelEndpoint.Import
            && r.Headers.GetValueOrDefault("Authorization", "").StartsWith("Basic ", StringComparison.Ordinal));
        importServer.Requests[^1].QueryString.Should().Contain("project_id=" + Project);
        importServer.DeduplicatedRecords.Select(r => r.EventName).Should().Equal("Renewed", "Paid Invoice", "Paid Invoice", "Migrated");
        importServer.DeduplicatedRecords.Should().OnlyContain(r => r.Time < TimeProvider.System.GetUtcNow().AddDays(-9).ToUnixTimeMilliseconds());
    }

    // The one operation a profile or group update carries.
    private static string OperationOf(ReceivedRecord record) =>
        record.Json.EnumerateObject().Select(p => p.Name)
            .Single(n => n is "$set" or "$set_once" or "$add" or "$append" or "$union" or "$remove" or "$unset" or "$delete");
}
