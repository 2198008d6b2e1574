using System.Net.Sockets;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class LocalMixpanelServerTests
{
    [Fact]
    public async Task StartAsync_Default_ListensOnLoopbackWithAFreePort()
    {
        await using var server = await LocalMixpanelServer.StartAsync();
        using var client = new RawPoster(server);

        var answer = await client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(timeMilliseconds: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));

        server.BaseAddress.Should().Be(new Uri($"http://127.0.0.1:{server.BaseAddress.Port}/"));
        server.BaseAddress.Port.Should().BeGreaterThan(0);
        server.IsListening.Should().BeTrue();
        answer.StatusCode.Should().Be(200);
        server.Records.Should().ContainSingle().Which.EventName.Should().Be("Signed Up");
    }

    [Fact]
    public async Task StartAsync_TwoServers_GetDifferentPorts()
    {
        await using var first = await LocalMixpanelServer.StartAsync();
        await using var second = await LocalMixpanelServer.StartAsync();

        first.BaseAddress.Port.Should().NotBe(second.BaseAddress.Port);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_Throws()
    {
        var noClock = async () => await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { TimeProvider = null! });
        var badPort = async () => await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { Port = 70000 });

        await noClock.Should().ThrowAsync<ArgumentException>();
        await badPort.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task StopAsync_RefusesConnectionsAndKeepsWhatWasRecorded()
    {
        await using var sut = await CreateSut();
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        await sut.Server.StopAsync();
        var post = async () => await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        sut.Server.IsListening.Should().BeFalse();
        (await post.Should().ThrowAsync<HttpRequestException>())
            .Which.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
        sut.Server.Records.Should().ContainSingle();
        sut.Server.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task StopAsync_KeepsThePortBound_UntilRestartOrDispose()
    {
        await using var sut = await CreateSut();
        var port = sut.Server.BaseAddress.Port;

        await sut.Server.StopAsync();
        var free = ExclusiveBind.TryBind(port);
        var heldWhileStopped = sut.Server.IsHoldingPort;
        await sut.Server.RestartAsync();
        var heldWhileListening = sut.Server.IsHoldingPort;
        await sut.Server.StopAsync();
        await sut.Server.DisposeAsync();

        free.Should().BeFalse("a stopped server holds its port, so no server asking for a free port is given it");
        heldWhileStopped.Should().BeTrue();
        heldWhileListening.Should().BeFalse("a listening server needs no reservation");
        sut.Server.IsHoldingPort.Should().BeFalse("a disposed server lets its port go");
    }

    [Fact]
    public async Task RestartAsync_AfterStop_ListensOnTheSamePortAndKeepsRecords()
    {
        await using var sut = await CreateSut();
        var address = sut.Server.BaseAddress;
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("Before")));
        await sut.Server.StopAsync();

        await sut.Server.RestartAsync();
        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("After")));

        sut.Server.BaseAddress.Should().Be(address);
        sut.Server.IsListening.Should().BeTrue();
        answer.StatusCode.Should().Be(200);
        sut.Server.Records.Select(r => r.EventName).Should().Equal("Before", "After");
        sut.Server.Requests.Select(r => r.Index).Should().Equal(0, 1);
    }

    [Fact]
    public async Task RestartAsync_WhileListening_StopsAndListensAgain()
    {
        await using var sut = await CreateSut();
        var address = sut.Server.BaseAddress;

        await sut.Server.RestartAsync();
        var answer = await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        sut.Server.BaseAddress.Should().Be(address);
        answer.StatusCode.Should().Be(200);
    }

    [Fact]
    public async Task StopAsync_Twice_DoesNothingMore()
    {
        await using var sut = await CreateSut();

        await sut.Server.StopAsync();
        await sut.Server.StopAsync();

        sut.Server.IsListening.Should().BeFalse();
    }

    [Fact]
    public async Task RestartAsync_AfterDispose_Throws()
    {
        var sut = await CreateSut();
        await sut.DisposeAsync();

        var restart = async () => await sut.Server.RestartAsync();

        await restart.Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task Clear_ForgetsRecordsAndCountsButRequestIndexesGoOn()
    {
        await using var sut = await CreateSut();
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(), SampleRecords.Event(distinctId: "none")));

        sut.Server.Clear();
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("Next")));

        sut.Server.Requests.Should().ContainSingle().Which.Index.Should().Be(1);
        var record = sut.Server.Records.Should().ContainSingle().Subject;
        record.EventName.Should().Be("Next");
        record.Sequence.Should().Be(1);
        sut.Server.DeduplicatedRecords.Should().ContainSingle();
        sut.Server.RejectedRecords.Should().BeEmpty();
        sut.Server.AcceptedRecordCount.Should().Be(1);
        sut.Server.RejectedRecordCount.Should().Be(0);
        sut.Server.ReceivedRequestCount.Should().Be(1);
    }

    [Fact]
    public async Task Records_Snapshot_DoesNotChangeWithLaterRequests()
    {
        await using var sut = await CreateSut();
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("A")));
        var snapshot = sut.Server.Records;

        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("B")));
        sut.Server.Clear();

        snapshot.Select(r => r.EventName).Should().Equal("A");
    }

    [Fact]
    public async Task RetainRecords_Off_CountsWithoutKeeping()
    {
        await using var sut = await CreateSut(o => o.RetainRecords = false);

        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event(), SampleRecords.Event(), SampleRecords.Event(distinctId: "nil")));

        sut.Server.AcceptedRecordCount.Should().Be(2);
        sut.Server.RejectedRecordCount.Should().Be(1);
        sut.Server.ReceivedRequestCount.Should().Be(1);
        sut.Server.Requests.Should().BeEmpty();
        sut.Server.Records.Should().BeEmpty();
        sut.Server.DeduplicatedRecords.Should().BeEmpty();
        sut.Server.RejectedRecords.Should().BeEmpty();
    }

    [Fact]
    public async Task ConcurrentRequests_AreAllRecordedInArrivalOrder()
    {
        await using var sut = await CreateSut();

        var answers = await Task.WhenAll(Enumerable.Range(0, 40)
            .Select(i => sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event("E" + i), SampleRecords.Event("F" + i)))));

        answers.Should().OnlyContain(a => a.StatusCode == 200);
        sut.Server.Requests.Select(r => r.Index).Should().Equal(Enumerable.Range(0, 40));
        sut.Server.Records.Should().HaveCount(80);
        sut.Server.Records.Select(r => r.Sequence).Should().Equal(Enumerable.Range(0, 80).Select(i => (long)i));
        sut.Server.InFlightRequestCount.Should().Be(0);
    }

    [Fact]
    public async Task WaitForAsync_ConditionAlreadyHolds_CompletesAtOnce()
    {
        await using var sut = await CreateSut();

        var wait = sut.Server.WaitForAsync(s => s.AcceptedRecordCount == 0);

        wait.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task WaitForAsync_ConditionHoldsAfterALaterRequest_CompletesThen()
    {
        await using var sut = await CreateSut();

        var wait = sut.Server.WaitForAsync(s => s.AcceptedRecordCount >= 2, RunningServer.Patience);
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        var completedAfterOne = wait.IsCompleted;
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));
        await wait;

        completedAfterOne.Should().BeFalse();
        sut.Server.AcceptedRecordCount.Should().Be(2);
    }

    [Fact]
    public async Task WaitForAsync_Cancelled_ThrowsOperationCanceled()
    {
        await using var sut = await CreateSut();
        using var cancel = new CancellationTokenSource();

        var wait = sut.Server.WaitForAsync(s => s.AcceptedRecordCount > 0, cancel.Token);
        await cancel.CancelAsync();

        await wait.Invoking(async w => await w).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task WaitForAsync_ConditionThrows_FaultsTheWait()
    {
        await using var sut = await CreateSut();

        var wait = sut.Server.WaitForAsync(s => s.AcceptedRecordCount > 0 ? throw new InvalidOperationException("boom") : false);
        await sut.Client.PostAsync("/track", SampleRecords.Batch(SampleRecords.Event()));

        await wait.Invoking(async w => await w).Should().ThrowAsync<InvalidOperationException>().WithMessage("boom");
    }

    [Fact]
    public async Task WaitForAsync_ServerDisposed_FailsTheWait()
    {
        var sut = await CreateSut();
        var wait = sut.Server.WaitForAsync(s => s.AcceptedRecordCount > 0);

        await sut.DisposeAsync();

        await wait.Invoking(async w => await w).Should().ThrowAsync<ObjectDisposedException>();
    }

    [Fact]
    public async Task WaitForAsync_StopAndRestart_AreStateChangesToo()
    {
        await using var sut = await CreateSut();
        var stopped = sut.Server.WaitForAsync(s => !s.IsListening, RunningServer.Patience);
        var listening = sut.Server.WaitForAsync(s => s.IsListening && stopped.IsCompleted, RunningServer.Patience);

        await sut.Server.StopAsync();
        await stopped;
        await sut.Server.RestartAsync();

        await listening;
    }

    [Fact]
    public async Task Dispose_Synchronous_StopsTheServer()
    {
        var server = await LocalMixpanelServer.StartAsync();

        server.Dispose();
        server.Dispose();

        server.IsListening.Should().BeFalse();
    }

    private static Task<RunningServer> CreateSut(Action<LocalMixpanelServerOptions>? configure = null) => RunningServer.StartAsync(configure);
}
