using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary><c>/import</c>: its credentials, and the answers of <c>strict=1</c> as Mixpanel's OpenAPI spec gives them.</summary>
public sealed class ImportTests
{
    private const string Secret = "api-secret";
    private const string Account = "importer.1a2b3c.mp-service-account";
    private const string AccountSecret = "sa-secret";
    private const string Project = "3141592";

    [Fact]
    public async Task Import_ServiceAccountWithItsProject_Accepts()
    {
        await using var sut = await CreateSut();

        var answer = await PostAsync(sut, $"/import?strict=1&project_id={Project}", Basic(Account, AccountSecret), SampleRecords.Event());

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Import);
    }

    [Fact]
    public async Task Import_ProjectSecretAsUserName_Accepts()
    {
        await using var sut = await CreateSut();

        var answer = await PostAsync(sut, "/import", Basic(Secret, ""), SampleRecords.Event());

        answer.StatusCode.Should().Be(200, answer.Body);
        answer.Body.Should().Be("1", "without strict=1 /import answers as /track does, which Mixpanel's node library expects");
    }

    [Fact]
    public async Task Import_ProjectTokenAsUserNameWithoutProjectId_Accepts()
    {
        await using var sut = await CreateSut();

        var withoutProject = await PostAsync(sut, "/import", Basic(SampleRecords.Token, ""), SampleRecords.Event());
        var withProject = await PostAsync(sut, $"/import?project_id={Project}", Basic(SampleRecords.Token, ""), SampleRecords.Event());

        withoutProject.StatusCode.Should().Be(200, withoutProject.Body);
        withProject.StatusCode.Should().Be(401, "with a project_id the credentials are read as a service account's");
    }

    public static TheoryData<string, string?> RefusedCredentials => new()
    {
        { "no credentials", null },
        { "the wrong secret", Basic("guess", "") },
        { "the secret with a password", Basic(Secret, "password") },
        { "a service account's wrong secret", Basic(Account, "guess") },
        { "an unknown service account", Basic("someone", AccountSecret) },
        { "not Basic", "Bearer " + Secret },
        { "not base64", "Basic ***" },
    };

    [Theory]
    [MemberData(nameof(RefusedCredentials))]
    public async Task Import_RefusedCredentials_Answers401AsMixpanelAndIngestsNothing(string what, string? authorization)
    {
        await using var sut = await CreateSut();

        var answer = await PostAsync(sut, $"/import?strict=1&project_id={Project}", authorization, SampleRecords.Event());

        answer.StatusCode.Should().Be(401, what);
        answer.Json.GetProperty("code").GetInt32().Should().Be(401);
        answer.Json.GetProperty("status").GetString().Should().Be("Unauthorized");
        answer.Json.GetProperty("error").GetString().Should().NotBeNullOrEmpty();
        sut.Server.AcceptedRecordCount.Should().Be(0);
        sut.Server.Requests.Should().ContainSingle().Which.StatusCode.Should().Be(401);
    }

    [Fact]
    public async Task Import_ServiceAccountWithoutProjectId_Answers401()
    {
        await using var sut = await CreateSut();

        var answer = await PostAsync(sut, "/import?strict=1", Basic(Account, AccountSecret), SampleRecords.Event());

        answer.StatusCode.Should().Be(401);
        answer.Json.GetProperty("error").GetString().Should().Contain("project_id");
    }

    [Fact]
    public async Task Import_ServiceAccountForAnotherProject_Answers401()
    {
        await using var sut = await CreateSut();

        var answer = await PostAsync(sut, "/import?strict=1&project_id=999", Basic(Account, AccountSecret), SampleRecords.Event());

        answer.StatusCode.Should().Be(401);
        answer.Json.GetProperty("error").GetString().Should().Contain("999");
    }

    [Fact]
    public async Task Import_ServiceAccountWithoutConfiguredProjectId_TakesAnyProject()
    {
        await using var sut = await CreateSut(o => o.ProjectId = null);

        var answer = await PostAsync(sut, "/import?project_id=999", Basic(Account, AccountSecret), SampleRecords.Event());

        answer.StatusCode.Should().Be(200, answer.Body);
    }

    [Fact]
    public async Task Import_CredentialsAddedWhileRunning_AreRequiredFromThen()
    {
        await using var sut = await RunningServer.StartAsync();
        var before = await sut.Client.PostAsync("/import", SampleRecords.Batch(SampleRecords.Event()));

        sut.Server.Options.ServiceAccounts[Account] = AccountSecret;
        var after = await sut.Client.PostAsync("/import", SampleRecords.Batch(SampleRecords.Event()));

        before.StatusCode.Should().Be(200);
        after.StatusCode.Should().Be(401);
    }

    [Fact]
    public async Task Track_CredentialsConfigured_StillNeedsNone()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        answer.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task ImportStrict_AllValid_AnswersCodeCountAndStatus()
    {
        await using var sut = await CreateSut();

        var answer = await PostAsync(sut, $"/import?strict=1&project_id={Project}", Basic(Account, AccountSecret), SampleRecords.Event("A"), SampleRecords.Event("B"));

        answer.StatusCode.Should().Be(200);
        answer.Body.Should().Be("""{"code":200,"num_records_imported":2,"status":"OK"}""");
    }

    [Fact]
    public async Task ImportStrict_PartlyInvalid_AnswersFailedRecordsAsMixpanelAndImportsTheRest()
    {
        await using var sut = await CreateSut();
        var noTime = SampleRecords.Event("B", insertId: "b-1");
        noTime.Properties().Remove("time");
        var badId = SampleRecords.Event("C", distinctId: "undefined", insertId: "c-1");

        var answer = await PostAsync(
            sut,
            $"/import?strict=1&project_id={Project}",
            Basic(Account, AccountSecret),
            SampleRecords.Event("A"),
            noTime,
            badId,
            SampleRecords.Event("D"));

        answer.StatusCode.Should().Be(400);
        var json = answer.Json;
        json.GetProperty("code").GetInt32().Should().Be(400);
        json.GetProperty("status").GetString().Should().Be("Bad Request");
        json.GetProperty("error").GetString().Should().Be("some data points in the request failed validation");
        json.GetProperty("num_records_imported").GetInt32().Should().Be(2);
        var failures = json.GetProperty("failed_records").EnumerateArray().ToArray();
        failures.Select(f => f.GetProperty("index").GetInt32()).Should().Equal(1, 2);
        failures.Select(f => f.GetProperty("$insert_id").GetString()).Should().Equal("b-1", "c-1");
        failures.Select(f => f.GetProperty("insert_id").GetString()).Should().Equal("b-1", "c-1");
        failures.Select(f => f.GetProperty("field").GetString()).Should().Equal("properties.time", "properties.distinct_id");
        failures.Should().OnlyContain(f => f.GetProperty("message").GetString()!.Length > 0);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "D");
    }

    [Fact]
    public async Task ImportStrict_BodyTooLarge_Answers413WithStatusText()
    {
        await using var sut = await CreateSut();
        var big = SampleRecords.Event();
        big.Properties()["pad"] = new string('x', 900_000);

        // /import takes 10 MB of JSON per request; twelve events of 900 KB are more.
        var answer = await PostAsync(sut, $"/import?strict=1&project_id={Project}", Basic(Account, AccountSecret), [.. Enumerable.Repeat(big, 12)]);

        answer.StatusCode.Should().Be(413);
        answer.Json.GetProperty("status").GetString().Should().Be("Request Entity Too Large");
        answer.Json.GetProperty("error").GetString().Should().Contain("10485760");
    }

    [Fact]
    public async Task Import_FormBodyAsNodeSendsIt_Accepts()
    {
        await using var sut = await CreateSut();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/import?ip=0&verbose=1&project_id={Project}")
        {
            Content = new StringContent(
                "data=" + RequestShapeTests.Base64(SampleRecords.Batch(SampleRecords.Event("A"), SampleRecords.Event("B"))),
                Encoding.UTF8,
                "application/x-www-form-urlencoded"),
        };
        request.Headers.Authorization = RawPoster.Basic(Account, AccountSecret);

        using var response = await sut.Client.Http.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        ((int)response.StatusCode).Should().Be(200, body);
        JsonDocument.Parse(body).RootElement.GetProperty("status").GetInt32().Should().Be(1);
        sut.Server.Records.Should().HaveCount(2);
    }

    private static string Basic(string user, string password) => RawPoster.Basic(user, password).ToString();

    private static Task<Answer> PostAsync(RunningServer sut, string path, string? authorization, params System.Text.Json.Nodes.JsonObject[] records) =>
        sut.Client.SendAsync(
            path,
            Encoding.UTF8.GetBytes(SampleRecords.Batch(records)),
            "application/json; charset=utf-8",
            gzip: false,
            authorization is null ? null : AuthenticationHeaderValue.Parse(authorization),
            CancellationToken.None);

    private static Task<RunningServer> CreateSut(Action<LocalMixpanelServerOptions>? configure = null) =>
        RunningServer.StartAsync(options =>
        {
            options.ApiSecret = Secret;
            options.ServiceAccounts[Account] = AccountSecret;
            options.ProjectId = Project;
            configure?.Invoke(options);
        });
}
