using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class RequestHandlingTests
{
    [Fact]
    public async Task Track_ValidBatch_AnswersOneAndKeepsRecordsInOrder()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("A"), SampleRecords.Event("B"), SampleRecords.Event("C")));

        answer.StatusCode.Should().Be(200);
        answer.Body.Should().Be("1");
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "B", "C");
        sut.Server.Records.Select(r => r.Sequence).Should().Equal(0, 1, 2);
        sut.Server.Records.Should().OnlyContain(r => r.RequestIndex == 0 && r.Endpoint == MixpanelEndpoint.Track);
        sut.Server.AcceptedRecordCount.Should().Be(3);
    }

    [Fact]
    public async Task Track_Verbose_AnswersJsonStatus()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track?verbose=1&ip=1", SampleRecords.Batch(SampleRecords.Event()));

        answer.StatusCode.Should().Be(200);
        answer.Json.GetProperty("status").GetInt32().Should().Be(1);
        answer.Json.GetProperty("error").ValueKind.Should().Be(JsonValueKind.Null);
        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.Verbose.Should().BeTrue();
        request.Ip.Should().BeTrue();
        request.Strict.Should().BeFalse();
        request.QueryString.Should().Be("?verbose=1&ip=1");
    }

    [Fact]
    public async Task Track_Gzip_DecodesTheBodyAndKeepsBothForms()
    {
        await using var sut = await CreateSut();
        var body = SampleRecords.Batch(SampleRecords.Event("A"), SampleRecords.Event("B"));

        var answer = await sut.Client.PostGzipAsync("/track", body);

        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Should().HaveCount(2);
        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.ContentEncoding.Should().Be("gzip");
        request.DecodedBody.Should().Be(body);
        request.Body.ToArray().Should().Equal(RawPoster.Gzip(Encoding.UTF8.GetBytes(body)));
    }

    [Theory]
    [InlineData("/engage")]
    [InlineData("/groups")]
    [InlineData("/import")]
    public async Task Post_GzipOnEveryEndpoint_Accepts(string path)
    {
        await using var sut = await CreateSut();
        var record = path switch
        {
            "/engage" => SampleRecords.ProfileSet(),
            "/groups" => SampleRecords.GroupSet(),
            _ => SampleRecords.Event(),
        };

        var answer = await sut.Client.PostGzipAsync(path, SampleRecords.Batch(record));

        answer.StatusCode.Should().Be(200, answer.Body);
    }

    [Fact]
    public async Task Track_CorruptGzip_Answers400AndIngestsNothing()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.SendAsync("/track", Encoding.UTF8.GetBytes("not gzip"), "application/json", gzip: true, null, default);

        answer.StatusCode.Should().Be(400);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Track_UnsupportedContentEncoding_Answers415()
    {
        await using var sut = await CreateSut();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/track") { Content = new StringContent(SampleRecords.Batch(SampleRecords.Event())) };
        request.Content.Headers.ContentEncoding.Add("br");

        using var response = await sut.Client.Http.SendAsync(request);

        ((int)response.StatusCode).Should().Be(415);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Track_NdJson_AcceptsOneRecordPerLine()
    {
        await using var sut = await CreateSut();
        var body = SampleRecords.Event("A").ToJsonString() + "\n\n" + SampleRecords.Event("B").ToJsonString() + "\r\n";

        var answer = await sut.Client.PostAsync("/track", body, "application/x-ndjson");

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "B");
    }

    [Fact]
    public async Task Track_FormDataJson_Accepts()
    {
        await using var sut = await CreateSut();
        var body = "data=" + Uri.EscapeDataString(SampleRecords.Batch(SampleRecords.Event("A")));

        var answer = await sut.Client.PostAsync("/track", body, "application/x-www-form-urlencoded");

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Should().ContainSingle().Which.EventName.Should().Be("A");
    }

    [Fact]
    public async Task Track_FormDataBase64_Accepts()
    {
        await using var sut = await CreateSut();
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(SampleRecords.Batch(SampleRecords.Event("A"), SampleRecords.Event("B"))));

        var answer = await sut.Client.PostAsync("/track", "ip=1&data=" + Uri.EscapeDataString(base64), "application/x-www-form-urlencoded");

        answer.StatusCode.Should().Be(200, answer.Body);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "B");
    }

    [Fact]
    public async Task Track_FormWithoutData_Answers400()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", "ip=1", "application/x-www-form-urlencoded");

        answer.StatusCode.Should().Be(400);
        answer.Json.GetProperty("error").GetString().Should().Contain("data");
    }

    [Fact]
    public async Task Track_SingleObjectBody_AcceptsItAsOneRecord()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Event().ToJsonString());

        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task Track_BodyWithAByteOrderMark_Accepts()
    {
        await using var sut = await CreateSut();
        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(SampleRecords.Batch(SampleRecords.Event()))).ToArray();

        var answer = await sut.Client.SendAsync("/track", body, "application/json", gzip: false, null, default);

        answer.StatusCode.Should().Be(200, answer.Body);
    }

    [Fact]
    public async Task Track_EmptyArray_AnswersOne()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", "[]");

        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Should().BeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("[{\"event\":\"A\",")]
    [InlineData("[{\"event\":\"A\",\"properties\":{}}] trailing")]
    [InlineData("\"just a string\"")]
    public async Task Track_MalformedJson_Answers400AndIngestsNothing(string body)
    {
        await using var sut = await CreateSut(o => o.ProjectToken = null);

        var answer = await sut.Client.PostAsync("/track", body);

        answer.StatusCode.Should().Be(400);
        answer.Json.GetProperty("status").GetInt32().Should().Be(0);
        sut.Server.AcceptedRecordCount.Should().Be(0);
        sut.Server.RejectedRecords.Should().BeEmpty();
        sut.Server.Requests.Should().ContainSingle().Which.Error.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task Track_2000Records_Accepts()
    {
        await using var sut = await CreateSut(o => o.RetainRecords = false);

        var answer = await sut.Client.PostAsync("/track", Batch(2000));

        answer.StatusCode.Should().Be(200);
        sut.Server.AcceptedRecordCount.Should().Be(2000);
    }

    [Fact]
    public async Task Track_2001Records_Answers400AndIngestsNothing()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", Batch(2001));

        answer.StatusCode.Should().Be(400);
        answer.Json.GetProperty("error").GetString().Should().Contain("2000");
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Engage_2001Updates_Answers400()
    {
        await using var sut = await CreateSut();
        var body = "[" + string.Join(",", Enumerable.Repeat(SampleRecords.ProfileSet().ToJsonString(), 2001)) + "]";

        var answer = await sut.Client.PostAsync("/engage", body);

        answer.StatusCode.Should().Be(400);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Track_BodyOfExactly2MiB_Accepts()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", BodyOfSize(2 * 1024 * 1024));

        answer.StatusCode.Should().Be(200, answer.Body);
    }

    [Fact]
    public async Task Track_BodyAbove2MiB_Answers413AndIngestsNothing()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track", BodyOfSize((2 * 1024 * 1024) + 1));

        answer.StatusCode.Should().Be(413);
        answer.Json.GetProperty("error").GetString().Should().Contain("2097152");
        sut.Server.AcceptedRecordCount.Should().Be(0);
        sut.Server.Requests.Should().ContainSingle().Which.StatusCode.Should().Be(413);
    }

    [Fact]
    public async Task Track_GzipDecompressingAbove2MiB_Answers413()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostGzipAsync("/track", BodyOfSize((2 * 1024 * 1024) + 1));

        answer.StatusCode.Should().Be(413);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Track_GzipBomb_Answers413WithoutInflatingIt()
    {
        await using var sut = await CreateSut();

        // 1 GiB of zeros compresses to about a megabyte; the server must stop inflating at the limit.
        byte[] bomb;
        using (var output = new MemoryStream())
        {
            using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal))
            {
                var zeros = new byte[1024 * 1024];
                for (var i = 0; i < 1024; i++)
                {
                    gzip.Write(zeros);
                }
            }

            bomb = output.ToArray();
        }

        var answer = await sut.Client.SendAsync("/track", bomb, "application/json", gzip: true, null, default);

        answer.StatusCode.Should().Be(413);
        sut.Server.Requests.Should().ContainSingle().Which.DecodedBody.Should().BeEmpty();
    }

    [Fact]
    public async Task Track_PartlyInvalidBatch_Answers400ListingFailuresAndIngestsTheRest()
    {
        await using var sut = await CreateSut();
        var tooOld = SampleRecords.Event("Old", insertId: "old-1", timeMilliseconds: SampleRecords.Now.AddDays(-6).ToUnixTimeMilliseconds());

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("A"), tooOld, SampleRecords.Event("C")));

        answer.StatusCode.Should().Be(400);
        answer.Json.GetProperty("code").GetInt32().Should().Be(400);
        answer.Json.GetProperty("status").GetInt32().Should().Be(0);
        answer.Json.GetProperty("error").GetString().Should().Be("some data points in the request failed validation");
        answer.Json.GetProperty("num_records_imported").GetInt32().Should().Be(2);
        var failure = answer.Json.GetProperty("failed_records").EnumerateArray().Should().ContainSingle().Subject;
        failure.GetProperty("index").GetInt32().Should().Be(1);
        failure.GetProperty("insert_id").GetString().Should().Be("old-1");
        failure.GetProperty("field").GetString().Should().Be("properties.time");
        failure.GetProperty("message").GetString().Should().NotBeNullOrEmpty();
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "C");
        var rejected = sut.Server.RejectedRecords.Should().ContainSingle().Subject;
        rejected.Endpoint.Should().Be(MixpanelEndpoint.Track);
        rejected.RequestIndex.Should().Be(0);
        rejected.InsertId.Should().Be("old-1");
        rejected.Json.GetProperty("event").GetString().Should().Be("Old");
        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.RecordCount.Should().Be(3);
        request.AcceptedRecordCount.Should().Be(2);
        request.RejectedRecordCount.Should().Be(1);
    }

    [Fact]
    public async Task Track_PartlyInvalidBatchWhenRejectingWholeBatches_Answers400AndIngestsNothing()
    {
        await using var sut = await CreateSut(o => o.RejectWholeBatchOnError = true);
        var invalid = SampleRecords.Event(distinctId: "undefined");

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("A"), invalid, SampleRecords.Event("C")));

        answer.StatusCode.Should().Be(400);
        answer.Json.GetProperty("num_records_imported").GetInt32().Should().Be(0);
        answer.Json.GetProperty("failed_records").GetArrayLength().Should().Be(1);
        sut.Server.Records.Should().BeEmpty();
        sut.Server.AcceptedRecordCount.Should().Be(0);
        sut.Server.RejectedRecords.Should().ContainSingle().Which.Index.Should().Be(1);
    }

    [Fact]
    public async Task Track_ValidHalfAfterWholeBatchRejection_IsAccepted()
    {
        await using var sut = await CreateSut(o => o.RejectWholeBatchOnError = true);
        var records = new[] { SampleRecords.Event("A"), SampleRecords.Event("B"), SampleRecords.Event("C", distinctId: "null"), SampleRecords.Event("D") };

        var whole = await sut.Client.PostAsync("/track", SampleRecords.Batch(records));
        var firstHalf = await sut.Client.PostAsync("/track", SampleRecords.Batch(records[..2]));
        var secondHalf = await sut.Client.PostAsync("/track", SampleRecords.Batch(records[2..]));

        whole.StatusCode.Should().Be(400);
        firstHalf.StatusCode.Should().Be(200);
        secondHalf.StatusCode.Should().Be(400);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("A", "B");
    }

    [Theory]
    [InlineData("wrong-token")]
    [InlineData(null)]
    public async Task Track_TokenWrongOrMissing_Answers401AndIngestsNothing(string? token)
    {
        await using var sut = await CreateSut();
        var bad = SampleRecords.Event("B");
        if (token is null)
        {
            bad.Properties().Remove("token");
        }
        else
        {
            bad.Properties()["token"] = token;
        }

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("A"), bad));

        answer.StatusCode.Should().Be(401);
        answer.Json.GetProperty("status").GetInt32().Should().Be(0);
        answer.Json.GetProperty("error").GetString().Should().Contain("token");
        sut.Server.AcceptedRecordCount.Should().Be(0);
        sut.Server.RejectedRecords.Should().BeEmpty();
    }

    [Theory]
    [InlineData("/engage")]
    [InlineData("/groups")]
    public async Task ProfileEndpoints_WrongToken_Answers401(string path)
    {
        await using var sut = await CreateSut();
        var update = path == "/engage" ? SampleRecords.ProfileSet() : SampleRecords.GroupSet();
        update["$token"] = "wrong-token";

        var answer = await sut.Client.PostAsync(path, SampleRecords.Batch(update));

        answer.StatusCode.Should().Be(401);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Track_NoProjectTokenConfigured_AcceptsAnyToken()
    {
        await using var sut = await CreateSut(o => o.ProjectToken = null);
        var record = SampleRecords.Event();
        record.Properties()["token"] = "anything";

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(record));

        answer.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Import_WithTheSecret_Accepts()
    {
        await using var sut = await CreateSut(o => o.ApiSecret = "s3cret");

        var answer = await sut.Client.PostWithSecretAsync("/import?strict=1", SampleRecords.Batch(SampleRecords.Event()), "s3cret");

        answer.StatusCode.Should().Be(200);
        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.Strict.Should().BeTrue();
        request.Headers["authorization"].Should().StartWith("Basic ");
        sut.Server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Import);
    }

    [Fact]
    public async Task Import_WithoutOrWithTheWrongSecret_Answers401()
    {
        await using var sut = await CreateSut(o => o.ApiSecret = "s3cret");

        var missing = await sut.Client.PostAsync("/import", SampleRecords.Batch(SampleRecords.Event()));
        var wrong = await sut.Client.PostWithSecretAsync("/import", SampleRecords.Batch(SampleRecords.Event()), "guess");
        var withPassword = await sut.Client.SendAsync(
            "/import",
            Encoding.UTF8.GetBytes(SampleRecords.Batch(SampleRecords.Event())),
            "application/json",
            gzip: false,
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("s3cret:password"))),
            default);

        missing.StatusCode.Should().Be(401);
        wrong.StatusCode.Should().Be(401);
        withPassword.StatusCode.Should().Be(401);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Post_UnknownPath_Answers404AndRecordsTheRequest()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/decide", "[]");

        answer.StatusCode.Should().Be(404);
        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.Endpoint.Should().BeNull();
        request.Path.Should().Be("/decide");
        request.StatusCode.Should().Be(404);
    }

    [Fact]
    public async Task Put_Track_Answers405NamingTheMethodsTaken()
    {
        await using var sut = await CreateSut();

        using var response = await sut.Client.Http.PutAsync("/track", new StringContent(SampleRecords.Batch(SampleRecords.Event())));

        ((int)response.StatusCode).Should().Be(405);
        response.Content.Headers.Allow.Should().BeEquivalentTo("GET", "POST", "OPTIONS");
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Track_TrailingSlash_IsTheSameEndpoint()
    {
        await using var sut = await CreateSut();

        var answer = await sut.Client.PostAsync("/track/?ip=1", SampleRecords.Batch(SampleRecords.Event()));

        answer.StatusCode.Should().Be(200);
        sut.Server.Requests.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Track);
    }

    [Fact]
    public async Task Requests_RecordWhatWasSentAndAnswered()
    {
        await using var sut = await CreateSut();
        var body = SampleRecords.Batch(SampleRecords.Event());

        await sut.Client.PostAsync("/track?verbose=1", body, "application/json; charset=utf-8");

        var request = sut.Server.Requests.Should().ContainSingle().Subject;
        request.Index.Should().Be(0);
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/track");
        request.ContentType.Should().Be("application/json; charset=utf-8");
        request.ContentEncoding.Should().BeNull();
        request.Body.ToArray().Should().Equal(Encoding.UTF8.GetBytes(body));
        request.DecodedBody.Should().Be(body);
        request.RecordCount.Should().Be(1);
        request.StatusCode.Should().Be(200);
        request.ResponseBody.Should().Be("""{"status":1,"error":null}""");
        request.Fault.Should().BeNull();
        request.Error.Should().BeNull();
        request.ReceivedAt.Should().Be(SampleRecords.Now);
    }

    private static Task<RunningServer> CreateSut(Action<LocalMixpanelServerOptions>? configure = null) => RunningServer.StartAsync(configure);

    private static string Batch(int count) =>
        "[" + string.Join(",", Enumerable.Range(0, count).Select(i => SampleRecords.Event("E" + i).ToJsonString())) + "]";

    // A three-event batch padded with string properties to exactly `size` bytes of JSON (each event under 1 MB).
    private static string BodyOfSize(int size)
    {
        var records = Enumerable.Range(0, 3).Select(_ => SampleRecords.Event()).ToArray();
        foreach (var record in records)
        {
            record.Properties()["pad"] = "";
        }

        var padding = size - Encoding.UTF8.GetByteCount(SampleRecords.Batch(records));
        for (var i = 0; i < records.Length; i++)
        {
            var share = (padding / 3) + (i < padding % 3 ? 1 : 0);
            records[i].Properties()["pad"] = new string('x', share);
        }

        var body = SampleRecords.Batch(records);
        Encoding.UTF8.GetByteCount(body).Should().Be(size);
        return body;
    }
}
