using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class FaultScriptTests
{
    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task Status_Enqueued_AnswersThatStatusOnceThenRecovers(int statusCode)
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Status(statusCode));

        var faulted = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("A")));
        var next = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("B")));

        faulted.StatusCode.Should().Be(statusCode);
        faulted.RetryAfter.Should().BeNull();
        next.StatusCode.Should().Be(200);
        sut.Server.Records.Should().ContainSingle().Which.EventName.Should().Be("B");
        sut.Server.Requests[0].Fault!.Kind.Should().Be(ServerFaultKind.Status);
        sut.Server.Requests[0].StatusCode.Should().Be(statusCode);
        sut.Server.Requests[0].DecodedBody.Should().Contain("\"A\"");
        sut.Server.Requests[1].Fault.Should().BeNull();
        sut.Server.Faults.PendingCount.Should().Be(0);
    }

    [Fact]
    public async Task Status_Success_AnswersOneButIngestsNothing()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Status(200));

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        answer.StatusCode.Should().Be(200);
        answer.Body.Should().Be("1");
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task Status_WithRetryAfter_SendsWholeSecondsRoundedUp()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Status(429, TimeSpan.FromSeconds(1.2)));

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        answer.StatusCode.Should().Be(429);
        answer.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task StatusWithRetryAfterDate_SendsAnHttpDate()
    {
        await using var sut = await CreateSut();
        var date = new DateTimeOffset(2025, 6, 1, 12, 0, 30, TimeSpan.Zero);
        sut.Server.Faults.Enqueue(ServerFault.StatusWithRetryAfterDate(503, date));

        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        answer.StatusCode.Should().Be(503);
        answer.RetryAfter!.Date.Should().Be(date);
        sut.Server.Requests.Should().ContainSingle().Which.Headers.Should().NotContainKey("Retry-After");
    }

    [Fact]
    public async Task Enqueue_SeveralTimes_AppliesInOrderToThatManyRequests()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults
            .Enqueue(ServerFault.Status(503), times: 2)
            .Enqueue(ServerFault.Status(429));

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()))).StatusCode);
        }

        statuses.Should().Equal(503, 503, 429, 200);
    }

    [Fact]
    public async Task Enqueue_ForOneEndpoint_LeavesTheOthersAlone()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Status(500), endpoint: MixpanelEndpoint.Engage);

        var track = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        var engage = await sut.Client.PostAsync("/engage", SampleRecords.Batch(SampleRecords.ProfileSet()));

        track.StatusCode.Should().Be(200);
        engage.StatusCode.Should().Be(500);
    }

    [Fact]
    public async Task Always_AppliesUntilCleared()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Always(ServerFault.Status(503));

        var first = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        var second = await sut.Client.PostAsync("/engage", SampleRecords.Batch(SampleRecords.ProfileSet()));
        sut.Server.Faults.Clear();
        var third = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        first.StatusCode.Should().Be(503);
        second.StatusCode.Should().Be(503);
        third.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task Always_ScriptedFaultsComeFirstAndAnEndpointsOwnTakesPrecedence()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults
            .Always(ServerFault.Status(503))
            .Always(ServerFault.Status(502), MixpanelEndpoint.Track)
            .Enqueue(ServerFault.Status(429));

        var scripted = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        var track = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        var engage = await sut.Client.PostAsync("/engage", SampleRecords.Batch(SampleRecords.ProfileSet()));

        scripted.StatusCode.Should().Be(429);
        track.StatusCode.Should().Be(502);
        engage.StatusCode.Should().Be(503);
    }

    [Fact]
    public async Task DropConnection_ClientSeesANetworkErrorAndNothingIsIngested()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.DropConnection());

        var post = async () => await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        await post.Should().ThrowAsync<HttpRequestException>();
        await sut.Server.WaitForAsync(s => s.Requests.Count == 1, RunningServer.Patience);
        var request = sut.Server.Requests.Single();
        request.Fault!.Kind.Should().Be(ServerFaultKind.DropConnection);
        request.StatusCode.Should().BeNull();
        sut.Server.AcceptedRecordCount.Should().Be(0);
        (await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()))).StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task DropResponse_IngestsButTheClientSeesANetworkError()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.DropResponse());

        var post = async () => await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        await post.Should().ThrowAsync<HttpRequestException>();
        sut.Server.AcceptedRecordCount.Should().Be(1);
        sut.Server.Requests.Single().StatusCode.Should().BeNull();
    }

    [Fact]
    public async Task Delay_WaitsOnTheServersClockThenProcessesNormally()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Delay(TimeSpan.FromSeconds(30)));

        var post = sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        await sut.Server.WaitForAsync(s => s.HeldRequestCount == 1, RunningServer.Patience);
        sut.Clock.Advance(TimeSpan.FromSeconds(29));
        var heldAfter29Seconds = sut.Server.HeldRequestCount;
        var ingestedAfter29Seconds = sut.Server.AcceptedRecordCount;
        sut.Clock.Advance(TimeSpan.FromSeconds(1));
        var answer = await post;

        heldAfter29Seconds.Should().Be(1);
        ingestedAfter29Seconds.Should().Be(0);
        answer.StatusCode.Should().Be(200);
        sut.Server.AcceptedRecordCount.Should().Be(1);
        sut.Server.HeldRequestCount.Should().Be(0);
        sut.Server.Requests.Single().Fault!.Kind.Should().Be(ServerFaultKind.Delay);
    }

    [Fact]
    public async Task Delay_ClientGivesUp_NothingIsIngested()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.Delay(TimeSpan.FromMinutes(5)));
        using var client = await HangingUpClient.PostAsync(sut.Server, "/track", SampleRecords.Batch(SampleRecords.Event()));
        await sut.Server.WaitForAsync(s => s.HeldRequestCount == 1, RunningServer.Patience);

        client.HangUp();

        await sut.Server.WaitForAsync(s => s.Requests.Count == 1 && s.HeldRequestCount == 0, RunningServer.Patience);
        sut.Server.Requests.Single().StatusCode.Should().BeNull();
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task NeverRespond_ClientHangsUp_RequestIsRecordedWithoutAnAnswer()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.NeverRespond());
        using var client = await HangingUpClient.PostAsync(sut.Server, "/track", SampleRecords.Batch(SampleRecords.Event()));
        await sut.Server.WaitForAsync(s => s.HeldRequestCount == 1, RunningServer.Patience);

        client.HangUp();

        await sut.Server.WaitForAsync(s => s.Requests.Count == 1 && s.HeldRequestCount == 0, RunningServer.Patience);
        var request = sut.Server.Requests.Single();
        request.Fault!.Kind.Should().Be(ServerFaultKind.NeverRespond);
        request.StatusCode.Should().BeNull();
        request.RecordCount.Should().Be(0);
        sut.Server.AcceptedRecordCount.Should().Be(0);
    }

    [Fact]
    public async Task NeverRespond_ServerStops_ClientSeesTheConnectionCut()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.NeverRespond());

        var post = sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        await sut.Server.WaitForAsync(s => s.HeldRequestCount == 1, RunningServer.Patience);
        await sut.Server.StopAsync();

        await post.Invoking(async p => await p).Should().ThrowAsync<HttpRequestException>();
        sut.Server.Requests.Should().ContainSingle().Which.StatusCode.Should().BeNull();
    }

    [Fact]
    public async Task NeverRespond_ServerDisposed_DisposeCompletes()
    {
        var sut = await CreateSut();
        sut.Server.Faults.Always(ServerFault.NeverRespond());
        var posts = Enumerable.Range(0, 3).Select(_ => sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()))).ToArray();
        await sut.Server.WaitForAsync(s => s.HeldRequestCount == 3, RunningServer.Patience);

        await sut.DisposeAsync();

        foreach (var post in posts)
        {
            await post.Invoking(async p => await p).Should().ThrowAsync<Exception>();
        }

        sut.Server.IsListening.Should().BeFalse();
        sut.Server.HeldRequestCount.Should().Be(0);
    }

    [Fact]
    public void Factories_InvalidArguments_Throw()
    {
        var badStatus = () => ServerFault.Status(100);
        var badStatusDate = () => ServerFault.StatusWithRetryAfterDate(600, DateTimeOffset.UnixEpoch);
        var negativeRetryAfter = () => ServerFault.Status(429, TimeSpan.FromSeconds(-1));
        var negativeDelay = () => ServerFault.Delay(TimeSpan.FromSeconds(-1));

        badStatus.Should().Throw<ArgumentOutOfRangeException>();
        badStatusDate.Should().Throw<ArgumentOutOfRangeException>();
        negativeRetryAfter.Should().Throw<ArgumentOutOfRangeException>();
        negativeDelay.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Enqueue_ZeroTimes_Throws()
    {
        await using var sut = await CreateSut();

        var enqueue = () => sut.Server.Faults.Enqueue(ServerFault.DropConnection(), times: 0);

        enqueue.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void ToString_DescribesTheFault()
    {
        ServerFault.Status(429, TimeSpan.FromSeconds(3)).ToString().Should().Be("Status 429 (Retry-After 3 s)");
        ServerFault.Delay(TimeSpan.FromSeconds(2)).ToString().Should().Be("Delay 00:00:02");
        ServerFault.NeverRespond().ToString().Should().Be("NeverRespond");
    }

    private static Task<RunningServer> CreateSut() => RunningServer.StartAsync();
}
