using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// One endpoint's sender alone, over a log in memory and scripted HTTP answers: what it sends, what Mixpanel's answers
/// make of the batch (taken, refused, split, retried, halted), where the log's cursor stands after each, and when a
/// retry goes on the injected clock.
/// </summary>
public sealed class EndpointSenderTests : IDisposable
{
    private const string Accepted = "1";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly ScriptedHandler _handler;
    private readonly AsyncSignal _wake = new();
    private readonly DeliveryCounters _counters = new();
    private readonly Queue<Func<Task<HttpResponseMessage>>> _answers = new();
    private readonly List<(string Path, long[] Numbers)> _requests = [];
    private readonly List<IDisposable> _owned = [];
    private RecordWriter _writer = null!;
    private long _nextNumber = 1;

    private readonly ITestOutputHelper _output;

    public EndpointSenderTests(ITestOutputHelper output)
    {
        _output = output;
        _handler = new ScriptedHandler(this);
    }

    /// <summary>A safety net for waits, so a broken test fails instead of hanging; never an assertion on time.</summary>
    private static CancellationToken Patience => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private IRecordLog Log(RecordEndpoint endpoint) => _writer.Queue[endpoint];

    [Fact]
    public async Task Start_WithABatchStored_SendsItAndCommitsItOnceMixpanelTakesIt()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 3);
        Answer(HttpStatusCode.OK, Accepted);

        (await RoundAsync(sender)).Should().Be(0);

        _requests.Should().ContainSingle().Which.Should().BeEquivalentTo(("/engage", new long[] { 1, 2, 3 }));
        _counters.Sent.Should().Be(3);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(3);
        sender.IsBusy.Should().BeFalse();
    }

    [Fact]
    public async Task Start_WithLessThanABatchStored_SendsNothingUntilAFlushWantsIt()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 2);

        sender.Start(CancellationToken.None);
        sender.IsBusy.Should().BeFalse("two records are not a batch of three");

        sender.Drain(Log(RecordEndpoint.Engage).AppendedTotal);
        Answer(HttpStatusCode.OK, Accepted);
        await RoundAsync(sender);

        _requests.Select(request => request.Numbers).Should().ContainSingle().Which.Should().Equal(1, 2);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(2);
    }

    [Fact]
    public async Task Start_WhenAFlushsRecordsAreAllOnTheWire_ReadsNoSmallBatchBehindThem()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        var log = Log(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 2);
        sender.Drain(log.AppendedTotal);
        var first = AnswerWhenReleased();
        sender.Start(CancellationToken.None);
        sender.IsBusy.Should().BeTrue("the flush wants its two records sent");

        Store(RecordEndpoint.Engage, 1);
        sender.Start(CancellationToken.None);
        log.UnreadCount.Should().Be(1, "a record stored after the flush is no batch, and no flush wants it: it is not read behind the flush's");

        first.SetResult(Reply(HttpStatusCode.OK, Accepted));
        await _wake.WaitAsync(Patience);
        sender.Settle(stopping: false);
        sender.Start(CancellationToken.None);
        sender.IsBusy.Should().BeFalse("the one record waits for a full batch, a flush or the periodic send");
        _requests.Select(request => request.Numbers).Should().ContainSingle().Which.Should().Equal(1, 2);
        log.CompletedTotal.Should().Be(2);
    }

    [Fact]
    public async Task Start_WhileABatchIsOnTheWire_ReadsTheNextBehindItAndCommitsEachOnlyOnceItIsTaken()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        var log = Log(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 6);
        var first = AnswerWhenReleased();
        Answer(HttpStatusCode.OK, Accepted);

        sender.Start(CancellationToken.None);
        sender.Start(CancellationToken.None);
        log.UnreadCount.Should().Be(0, "the batch behind the one on the wire is read meanwhile");

        first.SetResult(Reply(HttpStatusCode.OK, Accepted));
        await _wake.WaitAsync(Patience);
        sender.Settle(stopping: false);
        log.CompletedTotal.Should().Be(0, "the cursor is written once the next request is on its way, not before it");
        sender.Start(CancellationToken.None);
        sender.IsBusy.Should().BeTrue("the batch read behind went out at once");
        log.CompletedTotal.Should().Be(3, "the batch read behind is not taken yet: a crash now must send it again");

        await RoundAsync(sender);
        log.CompletedTotal.Should().Be(6);

        Store(RecordEndpoint.Engage, 3);
        Answer(HttpStatusCode.OK, Accepted);
        await RoundAsync(sender);

        Bodies().Should().Equal("1,2,3", "4,5,6", "7,8,9");
        _counters.Sent.Should().Be(9);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Settle_ATransientFailure_KeepsTheBatchAndSendsItAgainOnlyAfterTheBackoff(int status)
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 3);
        Answer((HttpStatusCode)status, "");

        await RoundAsync(sender);

        // The first retry waits 2 s and the jitter's least, 1 s (the random draw is 0).
        var retryAt = Timestamp(TimeSpan.FromSeconds(3));
        sender.NextDue().Should().Be(retryAt);
        sender.IsBusy.Should().BeTrue();
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(0);
        _counters.Retried.Should().Be(1);

        _time.Advance(TimeSpan.FromSeconds(3) - TimeSpan.FromTicks(1));
        sender.Start(CancellationToken.None);
        sender.NextDue().Should().Be(retryAt, "nothing goes before the backoff is over");

        _time.Advance(TimeSpan.FromTicks(1));
        Answer(HttpStatusCode.OK, Accepted);
        await RoundAsync(sender);

        Bodies().Should().Equal("1,2,3", "1,2,3");
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(3);
        _counters.Sent.Should().Be(3);
    }

    [Fact]
    public async Task Settle_ANetworkFailure_KeepsTheBatchForARetry()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 3);
        Script(() => throw new HttpRequestException("Connection refused"));

        await RoundAsync(sender);

        sender.NextDue().Should().Be(Timestamp(TimeSpan.FromSeconds(3)));
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(0);
        _counters.Sent.Should().Be(0);

        // The network is back: the retry goes at once.
        sender.RetryNow();
        Answer(HttpStatusCode.OK, Accepted);
        await RoundAsync(sender);
        _counters.Sent.Should().Be(3);
    }

    [Fact]
    public async Task Settle_RepeatedFailures_DoubleTheBackoffHonourRetryAfterAndStartAgainAfterASuccess()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 3);
        var waits = new List<TimeSpan>();
        foreach (var (status, retryAfter) in new[] { (503, (TimeSpan?)null), (503, null), (429, TimeSpan.FromSeconds(30)) })
        {
            Answer((HttpStatusCode)status, "", retryAfter);
            await RoundAsync(sender);
            var wait = TimeSpan.FromSeconds((sender.NextDue() - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
            waits.Add(wait);
            _time.Advance(wait);
        }

        Answer(HttpStatusCode.OK, Accepted);
        await RoundAsync(sender);
        Store(RecordEndpoint.Engage, 3);
        Answer(HttpStatusCode.InternalServerError, "");
        await RoundAsync(sender);

        waits.Should().Equal(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        sender.NextDue().Should().Be(Timestamp(TimeSpan.FromSeconds(3)), "a success starts the backoff over");
    }

    [Fact]
    public async Task Settle_AnAnswerNamingFailedRecords_DropsThoseCountsTheRestAndNeverSendsThemAgain()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 3);
        Answer(HttpStatusCode.BadRequest, """{"status":0,"error":"some records failed","failed_records":[{"index":1,"field":"$set","message":"invalid"}]}""");

        await RoundAsync(sender);

        _counters.Sent.Should().Be(2);
        _counters.GetDropped(DropReason.Rejected).Should().Be(1);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(3);
        sender.IsBusy.Should().BeFalse();

        Store(RecordEndpoint.Engage, 3);
        Answer(HttpStatusCode.OK, Accepted);
        await RoundAsync(sender);
        _requests[^1].Numbers.Should().Equal(4, 5, 6);
    }

    [Fact]
    public async Task Settle_AnImportRefusedWhole_SendsItsValidRecordsAgainAndCountsThemOnlyWhenTaken()
    {
        var sender = CreateSut(RecordEndpoint.Import, options => options.ApiSecret = "secret");
        Store(RecordEndpoint.Import, 3);
        Answer(HttpStatusCode.BadRequest, """{"code":400,"error":"some data points in the request failed validation","num_records_imported":0,"status":"Bad Request","failed_records":[{"index":1,"insert_id":"x","field":"properties.time","message":"'properties.time' is invalid"}]}""");
        Answer(HttpStatusCode.OK, """{"code":200,"num_records_imported":1,"status":"OK"}""");
        Answer(HttpStatusCode.OK, """{"code":200,"num_records_imported":1,"status":"OK"}""");

        await RoundAsync(sender);
        _counters.Sent.Should().Be(0, "Mixpanel says it imported none of them");
        Log(RecordEndpoint.Import).CompletedTotal.Should().Be(0);
        await RoundAsync(sender);
        await RoundAsync(sender);

        Bodies().Should().Equal("1,2,3", "1", "3");
        _counters.Sent.Should().Be(2);
        _counters.GetDropped(DropReason.Rejected).Should().Be(1);
        Log(RecordEndpoint.Import).CompletedTotal.Should().Be(3);
    }

    [Fact]
    public async Task Start_WithRecordsBeyondTheRequestSizeLimit_SendsThemInRequestsWithinIt()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        _writer.Queue.Append(RecordEndpoint.Engage, QueueFrames.Numbered(1, 3, padding: 900_000), 3);
        Answer(HttpStatusCode.OK, Accepted);
        Answer(HttpStatusCode.OK, Accepted);

        await RoundAsync(sender);
        sender.Drain(Log(RecordEndpoint.Engage).AppendedTotal);
        await RoundAsync(sender);

        Bodies().Should().Equal(["1,2", "3"], "Mixpanel takes requests of at most 2 MB");
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(3);
    }

    [Fact]
    public async Task Settle_TooLarge_SendsTheBatchAgainInHalvesFirstHalfFirst()
    {
        var sender = CreateSut(RecordEndpoint.Engage, options => options.BatchSize = 4);
        Store(RecordEndpoint.Engage, 4);
        Answer(HttpStatusCode.RequestEntityTooLarge, "");
        Answer(HttpStatusCode.OK, Accepted);
        Answer(HttpStatusCode.OK, Accepted);

        await RoundAsync(sender);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(0, "nothing is done with until both halves are");
        await RoundAsync(sender);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(0);
        await RoundAsync(sender);

        Bodies().Should().Equal("1,2,3,4", "1,2", "3,4");
        _counters.Sent.Should().Be(4);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(4);
        sender.IsBusy.Should().BeFalse();
    }

    [Fact]
    public async Task Settle_TooLargeForOneRecord_DropsItAsTooLargeAndSendsTheRest()
    {
        var sender = CreateSut(RecordEndpoint.Engage, options => options.BatchSize = 2);
        Store(RecordEndpoint.Engage, 2);
        Answer(HttpStatusCode.RequestEntityTooLarge, "");
        Answer(HttpStatusCode.RequestEntityTooLarge, "");
        Answer(HttpStatusCode.OK, Accepted);

        await RoundAsync(sender);
        await RoundAsync(sender);
        await RoundAsync(sender);

        Bodies().Should().Equal("1,2", "1", "2");
        _counters.GetDropped(DropReason.TooLarge).Should().Be(1);
        _counters.Sent.Should().Be(1);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(2);
    }

    [Fact]
    public async Task Settle_TheProjectTokenRefused_ReturnsTheStatusThatHaltsDeliveryAndKeepsTheRecords()
    {
        var sender = CreateSut(RecordEndpoint.Track);
        Store(RecordEndpoint.Track, 3);
        Answer(HttpStatusCode.Unauthorized, "");

        (await RoundAsync(sender)).Should().Be(401);

        Log(RecordEndpoint.Track).CompletedTotal.Should().Be(0);
        _counters.Sent.Should().Be(0);
        sender.HaltedStatus.Should().Be(0, "the project's token halts all delivery, which the loop decides");
    }

    [Fact]
    public async Task Settle_ImportCredentialsRefused_HaltsImportAloneAndKeepsItsRecords()
    {
        var sender = CreateSut(RecordEndpoint.Import, options => options.ApiSecret = "secret");
        Store(RecordEndpoint.Import, 3);
        Answer(HttpStatusCode.Forbidden, "");

        (await RoundAsync(sender)).Should().Be(0, "the import credentials are their own setting: tracking goes on");

        sender.HaltedStatus.Should().Be(403);
        _requests.Single().Path.Should().Be("/import");
        sender.Start(CancellationToken.None);
        sender.Purge().Should().Be(3, "the halted batch is held, not on the wire again");
        _counters.Sent.Should().Be(0);
    }

    [Fact]
    public async Task Settle_ACancelledRequestWhileStopping_KeepsTheBatchStoredForTheNextStart()
    {
        var sender = await CancelOnTheWireAsync(stopping: true);

        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(0);
        _counters.GetDropped(DropReason.OptedOut).Should().Be(0);
        sender.IsBusy.Should().BeTrue();
    }

    [Fact]
    public async Task Settle_ARequestCancelledByAnOptOut_DropsTheBatchCountedAndIsDoneWithIt()
    {
        var sender = await CancelOnTheWireAsync(stopping: false);

        _counters.GetDropped(DropReason.OptedOut).Should().Be(3);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(3);
        sender.IsBusy.Should().BeFalse();
    }

    [Fact]
    public async Task Purge_OfABatchWaitingForItsRetry_DropsItAndSendsNothingMore()
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 3);
        Answer(HttpStatusCode.ServiceUnavailable, "");
        await RoundAsync(sender);

        sender.Purge().Should().Be(3);

        sender.IsBusy.Should().BeFalse();
        sender.NextDue().Should().Be(long.MaxValue);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(3);
    }

    [Fact]
    public async Task Start_WithEventsTooOldForTrackAndNoImportCredentials_CountsThemExpiredAndSendsTheRest()
    {
        var sender = CreateSut(RecordEndpoint.Track);
        Store(RecordEndpoint.Track, 2, _time.GetUtcNow().AddDays(-6));
        Store(RecordEndpoint.Track, 1, _time.GetUtcNow());
        sender.Drain(Log(RecordEndpoint.Track).AppendedTotal);
        Answer(HttpStatusCode.OK, Accepted);

        await RoundAsync(sender);

        _requests.Single().Numbers.Should().Equal(3);
        _counters.GetDropped(DropReason.Expired).Should().Be(2);
        Log(RecordEndpoint.Track).CompletedTotal.Should().Be(3);
    }

    [Fact]
    public async Task Start_WithEventsTooOldForTrack_MovesThemToImportAndHoldsTracksCursorUntilImportHasThem()
    {
        var sender = CreateSut(RecordEndpoint.Track, options => options.ApiSecret = "secret");
        Store(RecordEndpoint.Track, 2, _time.GetUtcNow().AddDays(-6));
        Store(RecordEndpoint.Track, 1, _time.GetUtcNow());
        sender.Drain(Log(RecordEndpoint.Track).AppendedTotal);
        Answer(HttpStatusCode.OK, Accepted);

        await RoundAsync(sender);

        _requests.Single().Numbers.Should().Equal(3);
        _counters.GetDropped(DropReason.Expired).Should().Be(0);
        Log(RecordEndpoint.Track).CompletedTotal.Should().Be(0, "the aged events are not in the import log yet");

        _writer.TryAppendAged().Should().BeTrue();
        sender.Commit();

        Log(RecordEndpoint.Track).CompletedTotal.Should().Be(3);
        var import = Log(RecordEndpoint.Import);
        import.UnreadCount.Should().Be(2);
        import.TryPeek(out var header).Should().BeTrue();
        header.TimeMilliseconds.Should().Be(_time.GetUtcNow().AddDays(-6).ToUnixTimeMilliseconds(), "an aged event keeps its time");
    }

    [Fact]
    public async Task Start_WhenAFileOfTheLogCannotBeRead_TriesAgainOverTheBackoffWhateverFlushesWantThenCountsItsRecordsLost()
    {
        using var folder = new TempDirectory();
        var sender = CreateSut(RecordEndpoint.Engage, queueDirectory: folder.Path);
        Store(RecordEndpoint.Engage, 3);

        // Another program holds the segment (here a folder of its name): it cannot be opened, and is not gone either.
        var engage = Path.Combine(folder.Path, "0", "engage");
        var segment = Directory.GetFiles(engage, "*" + FileRecordLog.SegmentExtension).Should().ContainSingle().Subject;
        File.Delete(segment);
        Directory.CreateDirectory(segment);
        Store(RecordEndpoint.Engage, 2);
        sender.Drain(Log(RecordEndpoint.Engage).AppendedTotal);

        var pauses = new List<double>();
        for (var attempt = 1; attempt < 5; attempt++)
        {
            sender.Start(CancellationToken.None);
            var due = sender.NextDue();
            pauses.Add((due - _time.GetTimestamp()) / (double)_time.TimestampFrequency);

            // The app flushes every second meanwhile: the file is not read again before its pause is over.
            for (var second = 1; second < pauses[^1]; second++)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                sender.Drain(Log(RecordEndpoint.Engage).AppendedTotal);
                sender.Start(CancellationToken.None);
                sender.NextDue().Should().Be(due);
            }

            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // The fifth attempt gives the file up; the next start reads what is behind it.
        sender.Start(CancellationToken.None);
        sender.NextDue().Should().Be(long.MaxValue);
        Answer(HttpStatusCode.OK, Accepted);
        await RoundAsync(sender);

        pauses.Should().Equal(2, 4, 8, 16);
        _requests.Single().Numbers.Should().Equal(4, 5);
        _counters.GetDropped(DropReason.Corrupt).Should().Be(3, "the records of a file given up on are counted lost");
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(5);
    }

    [Fact]
    public async Task Commit_WhenTheCursorCannotBeWritten_PausesTheWriterKeepsTheCursorAndWritesItLaterWithoutSendingAgain()
    {
        using var disk = SmallDisk.TryMount(pages: 64, _output);
        if (disk is null)
        {
            return;
        }

        var sender = CreateSut(RecordEndpoint.Engage, queueDirectory: disk.Path);
        Store(RecordEndpoint.Engage, 3);
        Answer(HttpStatusCode.OK, Accepted);
        disk.FillLeaving(freePages: 0);

        await RoundAsync(sender);

        _counters.Sent.Should().Be(3);
        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(0, "the cursor moves only once it is written");
        _writer.IsPaused.Should().BeTrue("a failing disk pauses the writer");
        sender.IsBusy.Should().BeFalse();

        disk.FreeAll();
        sender.Start(CancellationToken.None);
        sender.IsBusy.Should().BeFalse("what Mixpanel took is not sent again");
        sender.Commit();

        Log(RecordEndpoint.Engage).CompletedTotal.Should().Be(3);
        _requests.Should().ContainSingle();
    }

    public void Dispose()
    {
        _writer?.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _handler.Dispose();
    }

    private EndpointSender CreateSut(RecordEndpoint endpoint, Action<MixpanelOptions>? configure = null, string? queueDirectory = null)
    {
        var options = new MixpanelOptions
        {
            ProjectToken = "token",
            ApiHost = new Uri("https://api.example.test/"),
            BatchSize = 3,
            UseGzip = false,
        };
        configure?.Invoke(options);
        var client = new HttpClient(_handler, disposeHandler: false);
        var intake = new Intake(_wake, _time, options.TrackMemoryBudgetBytes, options.BatchSize);
        _owned.Add(client);
        _owned.Add(intake);
        _writer = new RecordWriter(options, new RecordSerializer(options.ProjectToken, LibraryInfo.Current), intake, _time, NullLogger.Instance, _counters);
        if (queueDirectory is not null)
        {
            _writer.Open(RecordQueue.OpenSlot(queueDirectory, 64 * 1024, discardTag: 0, out _) ?? throw new InvalidOperationException("No slot."), PropertyMap.Empty);
        }

        var http = new HttpSender(client, options, _time);
        return new EndpointSender(endpoint, options, http, _writer, _wake, _time, NullLogger.Instance, _counters, static () => 0);
    }

    /// <summary>Appends <paramref name="count"/> records, numbered on from the last, to the endpoint's log.</summary>
    private void Store(RecordEndpoint endpoint, int count, DateTimeOffset? time = null)
    {
        _writer.Queue.Append(endpoint, QueueFrames.Numbered(_nextNumber, count, timeMilliseconds: time?.ToUnixTimeMilliseconds() ?? 0), count);
        _nextNumber += count;
    }

    /// <summary>Three records on the wire, their request cancelled (an opt-out, or stopping) and settled.</summary>
    private async Task<EndpointSender> CancelOnTheWireAsync(bool stopping)
    {
        var sender = CreateSut(RecordEndpoint.Engage);
        Store(RecordEndpoint.Engage, 3);
        AnswerWhenReleased();
        using var cancel = new CancellationTokenSource();

        sender.Start(cancel.Token);
        cancel.Cancel();
        await _wake.WaitAsync(Patience);
        sender.Settle(stopping);
        sender.CommitSettled();
        return sender;
    }

    /// <summary>
    /// Starts a request, waits for its answer, settles it and commits what it settled (which the loop's next start does
    /// once the next request has left); returns the status that halts all delivery, or 0.
    /// </summary>
    private async Task<int> RoundAsync(EndpointSender sender)
    {
        sender.Start(CancellationToken.None);
        sender.IsBusy.Should().BeTrue("a request is on the wire");
        await _wake.WaitAsync(Patience);
        sender.HasAnswer.Should().BeTrue();
        var halted = sender.Settle(stopping: false);
        sender.CommitSettled();
        return halted;
    }

    private void Answer(HttpStatusCode status, string body, TimeSpan? retryAfter = null) =>
        Script(() => Task.FromResult(Reply(status, body, retryAfter)));

    private void Script(Func<Task<HttpResponseMessage>> answer)
    {
        lock (_requests)
        {
            _answers.Enqueue(answer);
        }
    }

    private TaskCompletionSource<HttpResponseMessage> AnswerWhenReleased()
    {
        var answer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        Script(() => answer.Task);
        return answer;
    }

    private static HttpResponseMessage Reply(HttpStatusCode status, string body, TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = new RetryConditionHeaderValue(delay);
        }

        return response;
    }

    /// <summary>The records of each request so far, as their numbers.</summary>
    private List<string> Bodies() => [.. _requests.Select(static request => string.Join(",", request.Numbers))];

    private long Timestamp(TimeSpan fromNow) => _time.GetTimestamp() + (long)(fromNow.TotalSeconds * _time.TimestampFrequency);

    /// <summary>Records each request and answers it with the next scripted answer; a request is abandoned when its token is cancelled.</summary>
    private sealed class ScriptedHandler(EndpointSenderTests test) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            Func<Task<HttpResponseMessage>> answer;
            lock (test._requests)
            {
                test._requests.Add((request.RequestUri!.AbsolutePath, Numbers(body)));
                answer = test._answers.Count > 0 ? test._answers.Dequeue() : throw new InvalidOperationException("No answer scripted for this request.");
            }

            return await answer().WaitAsync(cancellationToken);
        }
    }

    private static long[] Numbers(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return [.. document.RootElement.EnumerateArray().Select(record => record.GetProperty("n").GetInt64())];
    }
}
