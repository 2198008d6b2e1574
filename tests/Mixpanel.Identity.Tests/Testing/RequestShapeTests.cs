using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>
/// Every form in which Mixpanel takes records, as its official libraries send them: GET with <c>data=</c> in the query,
/// forms, JSONP and pixels, and the CORS a browser page needs.
/// </summary>
public sealed class RequestShapeTests
{
    public static TheoryData<string> Endpoints => new() { "/track", "/engage", "/groups", "/import" };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Get_DataAsBase64InTheQuery_AcceptsTheRecord(string path)
    {
        await using var sut = await CreateSut();
        var record = RecordFor(path);

        var answer = await sut.Client.GetAsync($"{path}?data={Base64(record.ToJsonString())}&ip=0&verbose=0");

        answer.StatusCode.Should().Be(200, answer.Body);
        answer.Body.Should().Be("1");
        answer.ContentType.Should().Be("text/plain");
        var received = sut.Server.Records.Should().ContainSingle().Subject;
        received.Json.GetRawText().Should().Be(record.ToJsonString());
        received.Endpoint.ToString().Should().BeEquivalentTo(path.TrimStart('/'));
        sut.Server.Requests.Should().ContainSingle().Which.Method.Should().Be("GET");
    }

    [Fact]
    public async Task Get_DataAsUrlEncodedJson_AcceptsEveryRecordOfTheBatch()
    {
        await using var sut = await CreateSut();
        var batch = SampleRecords.Batch(SampleRecords.Event("A"), SampleRecords.Event("B"));

        var answer = await sut.Client.GetAsync("/track/?data=" + Uri.EscapeDataString(batch));

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "B");
    }

    [Fact]
    public async Task Get_TwoDataParameters_TakesTheFirst()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync(
            "/track?data=" + Base64(SampleRecords.Event("A").ToJsonString()) + "&ip=1&data=" + Base64(SampleRecords.Event("B").ToJsonString()));

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A");
        sut.Server.Requests.Should().ContainSingle().Which.Ip.Should().BeTrue();
    }

    [Theory]
    [InlineData("/track?data")]
    [InlineData("/track?data=&data=e30")]
    public async Task Get_FirstDataParameterEmpty_Answers400AndIngestsNothing(string pathAndQuery)
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync(pathAndQuery);

        answer.StatusCode.Should().Be(400);
        sut.Server.Records.Should().BeEmpty();
        sut.Server.Requests.Should().ContainSingle().Which.Error.Should().Contain("the data field is empty");
    }

    [Fact]
    public async Task Get_Base64WithUnescapedPlusAndNoPadding_Accepts()
    {
        await using var sut = await CreateSut();

        // '~' characters here make '+' appear in the base64; a client that does not escape '+' sends it as a space.
        var record = SampleRecords.Event("Searched ~~~");
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(record.ToJsonString())).TrimEnd('=');
        base64.Should().Contain("+", "the test needs a '+' to be sent unescaped");

        var answer = await sut.Client.GetAsync("/track?data=" + base64.Replace("/", "%2F", StringComparison.Ordinal));

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle().Which.EventName.Should().Be("Searched ~~~");
    }

    [Fact]
    public async Task Get_WithoutData_Answers400AndRecordsTheRequest()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync("/track?ip=1");

        answer.StatusCode.Should().Be(400);
        answer.Json.GetProperty("error").GetString().Should().Contain("data=");
        sut.Server.Requests.Should().ContainSingle().Which.Error.Should().Contain("no records");
    }

    [Fact]
    public async Task Get_RecordOf20KilobytesInTheUrl_Accepts()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["notes"] = new string('n', 15_000);

        var answer = await sut.Client.GetAsync("/track?data=" + Base64(record.ToJsonString()));

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task Get_InvalidRecord_Answers400ListingIt()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync("/track?data=" + Base64(SampleRecords.Event(distinctId: "undefined").ToJsonString()));

        answer.StatusCode.Should().Be(400);
        answer.Json.GetProperty("failed_records")[0].GetProperty("field").GetString().Should().Be("properties.distinct_id");
        sut.Server.RejectedRecords.Should().ContainSingle();
    }

    [Fact]
    public async Task Get_ScriptedFault_AppliesToGetsToo()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Status(503));

        var first = await sut.Client.GetAsync("/track?data=" + Base64(SampleRecords.Event().ToJsonString()));
        var second = await sut.Client.GetAsync("/track?data=" + Base64(SampleRecords.Event().ToJsonString()));

        first.StatusCode.Should().Be(503);
        second.StatusCode.Should().Be(200);
        sut.Server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task Post_FormWithOtherFields_ReadsThemAsParameters()
    {
        await using var sut = await CreateSut();
        var body = "verbose=1&data=" + Base64(SampleRecords.Batch(SampleRecords.Event("A"))) + "&ip=1&_=1718000000000";

        var answer = await sut.Client.PostAsync("/track", body, "application/x-www-form-urlencoded");

        answer.StatusCode.Should().Be(200, answer.Body);
        answer.Json.GetProperty("status").GetInt32().Should().Be(1);
        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.Verbose.Should().BeTrue();
        request.Ip.Should().BeTrue();
        sut.Server.Records.Should().ContainSingle().Which.EventName.Should().Be("A");
    }

    [Fact]
    public async Task Post_FormFieldOverridesTheQuery()
    {
        await using var sut = await CreateSut();
        var body = "data=" + Uri.EscapeDataString(SampleRecords.Batch(SampleRecords.Event())) + "&verbose=0";

        var answer = await sut.Client.PostAsync("/track?verbose=1", body, "application/x-www-form-urlencoded");

        answer.Body.Should().Be("1");
    }

    [Theory]
    [InlineData("/engage")]
    [InlineData("/groups")]
    public async Task Post_FormOnProfileEndpoints_Accepts(string path)
    {
        await using var sut = await CreateSut();
        var body = "data=" + Base64(SampleRecords.Batch(RecordFor(path), RecordFor(path)));

        var answer = await sut.Client.PostAsync(path, body, "application/x-www-form-urlencoded");

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().HaveCount(2);
    }

    [Fact]
    public async Task Post_GzippedForm_Accepts()
    {
        await using var sut = await CreateSut();
        var form = "data=" + Base64(SampleRecords.Batch(SampleRecords.Event("A"), SampleRecords.Event("B")));

        var answer = await sut.Client.SendAsync(
            "/track",
            RawPoster.Gzip(Encoding.UTF8.GetBytes(form)),
            "application/x-www-form-urlencoded",
            gzip: true,
            authorization: null,
            default);

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "B");
    }

    [Fact]
    public async Task Post_TextBodyStartingWithData_IsReadAsAForm()
    {
        // navigator.sendBeacon posts a string body as text/plain.
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync(
            "/track?ip=1",
            "data=" + Base64(SampleRecords.Batch(SampleRecords.Event())),
            "text/plain; charset=UTF-8");

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task Post_EmptyBodyWithDataInTheQuery_Accepts()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/engage?data=" + Base64(SampleRecords.ProfileSet().ToJsonString()), "", "application/x-www-form-urlencoded");

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Engage);
    }

    [Fact]
    public async Task Get_Img_AnswersATransparentGif()
    {
        await using var sut = await CreateSut();

        using var response = await sut.Client.Http.GetAsync("/track?img=1&data=" + Base64(SampleRecords.Event().ToJsonString()));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("image/gif");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Encoding.ASCII.GetString(bytes, 0, 6).Should().Be("GIF89a");
        (bytes[6] | (bytes[7] << 8)).Should().Be(1, "the pixel is one pixel wide");
        sut.Server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task Get_Callback_AnswersAScriptCallingItWithOne()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync(
            "/track?callback=" + Uri.EscapeDataString("mixpanel._jsc[4217]") + "&data=" + Base64(SampleRecords.Event().ToJsonString()));

        answer.StatusCode.Should().Be(200);
        answer.ContentType.Should().Be("text/javascript");
        answer.Body.Should().Be("mixpanel._jsc[4217](1);");
    }

    [Fact]
    public async Task Get_CallbackWithVerbose_PassesTheJsonAnswer()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync("/engage?verbose=1&callback=done&data=" + Base64(SampleRecords.ProfileSet().ToJsonString()));

        answer.Body.Should().Be("""done({"status":1,"error":null});""");
    }

    [Fact]
    public async Task Get_CallbackForARejectedRecord_Answers200CallingItWithZero()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync(
            "/track?callback=" + Uri.EscapeDataString("(function(){})") + "&data=" + Base64(SampleRecords.Event(distinctId: "null").ToJsonString()));

        answer.StatusCode.Should().Be(200, "a script from an error answer would never run");
        answer.Body.Should().Be("(function(){})(0);");
        sut.Server.Records.Should().BeEmpty();
        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.RejectedRecordCount.Should().Be(1);
        request.Error.Should().Contain("failed validation");
    }

    [Fact]
    public async Task Get_CallbackThatIsNotAFunctionName_Answers400AndIngestsNothing()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.GetAsync(
            "/track?callback=" + Uri.EscapeDataString("alert(1);x") + "&data=" + Base64(SampleRecords.Event().ToJsonString()));

        answer.StatusCode.Should().Be(400);
        answer.ContentType.Should().Be("application/json");
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Options_Preflight_AllowsTheOriginCredentialsAndAskedHeaders()
    {
        await using var sut = await CreateSut();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/track/");
        request.Headers.Add("Origin", "http://app.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-custom");
        request.Headers.Add("Access-Control-Request-Private-Network", "true");

        using var response = await sut.Client.Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        Header(response, "Access-Control-Allow-Origin").Should().Be("http://app.example");
        Header(response, "Access-Control-Allow-Credentials").Should().Be("true");
        Header(response, "Access-Control-Allow-Methods").Should().Be("GET, POST, OPTIONS");
        Header(response, "Access-Control-Allow-Headers").Should().Be("content-type,x-custom");
        Header(response, "Access-Control-Allow-Private-Network").Should().Be("true");
        var recorded = sut.Server.Requests.Should().ContainSingle().Subject;
        recorded.Method.Should().Be("OPTIONS");
        recorded.RecordCount.Should().Be(0);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Options_Preflight_ConsumesNoScriptedFault()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Status(500));
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/track");
        preflight.Headers.Add("Origin", "http://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await sut.Client.Http.SendAsync(preflight);
        var post = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        post.StatusCode.Should().Be(500);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task Request_WithAnOrigin_EchoesItAndAllowsCredentials(string method)
    {
        await using var sut = await CreateSut();
        var data = Base64(SampleRecords.Event().ToJsonString());
        using var request = method == "GET"
            ? new HttpRequestMessage(HttpMethod.Get, "/track?data=" + data)
            : new HttpRequestMessage(HttpMethod.Post, "/track") { Content = new StringContent("data=" + data, Encoding.UTF8, "application/x-www-form-urlencoded") };
        request.Headers.Add("Origin", "http://127.0.0.1:5173");

        using var response = await sut.Client.Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        Header(response, "Access-Control-Allow-Origin").Should().Be("http://127.0.0.1:5173");
        Header(response, "Access-Control-Allow-Credentials").Should().Be("true");
        Header(response, "Access-Control-Expose-Headers").Should().Be("Retry-After");
        response.Headers.Vary.Should().Contain("Origin");
    }

    [Fact]
    public async Task Request_WithAnOriginRefused_StillCarriesCorsHeaders()
    {
        // A page must be able to read a rejection, or it cannot tell a bad record from a network failure.
        await using var sut = await CreateSut();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/track") { Content = new StringContent(SampleRecords.Batch(SampleRecords.Event(distinctId: "null"))) };
        request.Headers.Add("Origin", "http://app.example");

        using var response = await sut.Client.Http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        Header(response, "Access-Control-Allow-Origin").Should().Be("http://app.example");
    }

    [Fact]
    public async Task Request_WithoutAnOrigin_CarriesNoCorsHeaders()
    {
        await using var sut = await CreateSut();

        using var response = await sut.Client.Http.GetAsync("/track?data=" + Base64(SampleRecords.Event().ToJsonString()));

        response.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
    }

    /// <summary>Base64 of the JSON, escaped for a URL or a form, as Mixpanel's libraries send it.</summary>
    internal static string Base64(string json) => Uri.EscapeDataString(Convert.ToBase64String(Encoding.UTF8.GetBytes(json)));

    private static JsonObject RecordFor(string path) => path switch
    {
        "/engage" => SampleRecords.ProfileSet(),
        "/groups" => SampleRecords.GroupSet(),
        _ => SampleRecords.Event(),
    };

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static Task<RunningServer> CreateSut() => RunningServer.StartAsync();
}
