using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The senders together, over a queue in a temp folder and the local Mixpanel server: a flush waits for what was
/// stored before it and no more, the periodic send goes only while something is stored, a refused token halts every
/// endpoint and releases the flushes, refused import credentials halt <c>/import</c> alone, the network's return cuts a
/// backoff short, and an opt-out abandons what is on the wire without cancelling what is sent after it.
/// </summary>
public sealed class SenderSetTests : IAsyncLifetime, IDisposable
{
    private const string Token = "sender-token";

    private readonly TempDirectory _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private readonly DeliveryCounters _counters = new();
    private readonly AsyncSignal _wake = new();
    private readonly List<IDisposable> _owned = [];
    private LocalMixpanelServer _server = null!;
    private MixpanelOptions _options = null!;
    private RecordWriter _writer = null!;

    /// <summary>A safety net for waits, so a broken test fails instead of hanging; never an assertion on time.</summary>
    private static CancellationToken Patience => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    public async Task InitializeAsync() =>
        _server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token, ApiSecret = "secret", TimeProvider = _time });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task AddFlush_WithLessThanABatchStored_SendsItAndCompletesOnceMixpanelTookItWaitingForNothingStoredAfter()
    {
        var senders = CreateSut();
        Store(RecordEndpoint.Track, 2);
        senders.Start();
        _server.Faults.Enqueue(ServerFault.Status(503), endpoint: MixpanelEndpoint.Engage);

        var flush = new FlushRequest(deliver: true);
        senders.AddFlush(flush);
        Store(RecordEndpoint.Engage, 3);
        senders.CompleteFlushes();
        flush.Task.IsCompleted.Should().BeFalse("nothing is delivered yet");

        await SendUntilAsync(senders, () => _writer.Queue[RecordEndpoint.Track].CompletedTotal == 2 && _counters.Retried == 1);
        senders.CompleteFlushes();

        flush.Task.IsCompleted.Should().BeTrue("the updates waiting out a backoff were stored after the flush");
        _server.Requests.Where(static request => request.Endpoint == MixpanelEndpoint.Track).Should().ContainSingle("two records are not a batch: only the flush sends them")
            .Which.RecordCount.Should().Be(2);
        _writer.Queue[RecordEndpoint.Engage].CompletedTotal.Should().Be(0);
    }

    [Fact]
    public async Task Start_OnceTheFlushIntervalHasPassedSinceARecordWasWritten_SendsWhatIsStoredAndThenSetsNoTimer()
    {
        var senders = CreateSut();
        senders.NextDue().Should().Be(long.MaxValue, "nothing is stored");
        Store(RecordEndpoint.Engage, 1);
        senders.OnRecordWritten();
        var due = Timestamp(_options.FlushInterval);
        senders.NextDue().Should().Be(due);

        _time.Advance(_options.FlushInterval - TimeSpan.FromTicks(1));
        senders.Start();
        senders.NextDue().Should().Be(due, "the periodic send is not due yet");

        _time.Advance(TimeSpan.FromTicks(1));
        await SendUntilAsync(senders, () => _counters.Sent == 1);

        _server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Engage);
        senders.NextDue().Should().Be(long.MaxValue, "idle means idle: no timer while nothing is stored");
    }

    [Fact]
    public async Task Settle_TheTokenRefused_HaltsEveryEndpointReleasesTheFlushesAndSetsNoTimer()
    {
        var senders = CreateSut();
        _server.Faults.Enqueue(ServerFault.Status(401));
        Store(RecordEndpoint.Engage, 3);
        var flush = new FlushRequest(deliver: true);
        senders.AddFlush(flush);

        await SendUntilAsync(senders, () => senders.HaltedStatus != 0);
        senders.CompleteFlushes();
        Store(RecordEndpoint.Track, 3);
        senders.OnRecordWritten();
        senders.RetryNow();
        senders.Start();

        senders.HaltedStatus.Should().Be(401);
        flush.Task.IsCompleted.Should().BeTrue("nobody waits on delivery that has halted");
        senders.NextDue().Should().Be(long.MaxValue);
        senders.HasAnswer.Should().BeFalse();
        _server.ReceivedRequestCount.Should().Be(1, "nothing more is sent once the token is refused");
        _writer.Queue.Count.Should().Be(6, "what is stored stays for a start with a valid token");
    }

    [Fact]
    public async Task AddFlush_WithAnEventTooOldForTrack_WaitsForItToBeImported()
    {
        var senders = CreateSut();
        Store(RecordEndpoint.Track, 1, aged: true);
        var flush = new FlushRequest(deliver: true);
        senders.AddFlush(flush);

        senders.Start();
        senders.CompleteFlushes();
        _writer.Queue[RecordEndpoint.Track].CompletedTotal.Should().Be(1, "the event moved to the import log");
        flush.Task.IsCompleted.Should().BeFalse("the flush waits for the event where it went");

        await SendUntilAsync(senders, () => _counters.Sent == 1);
        senders.CompleteFlushes();

        flush.Task.IsCompleted.Should().BeTrue();
        _server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Import);
    }

    [Fact]
    public async Task Settle_TheImportCredentialsRefused_HaltsImportAloneAndFlushesDoNotWaitForIt()
    {
        var senders = CreateSut(options => options.ApiSecret = "wrong");
        _server.Faults.Enqueue(ServerFault.Status(401), endpoint: MixpanelEndpoint.Import);
        Store(RecordEndpoint.Track, 1, aged: true);
        Store(RecordEndpoint.Track, 1);
        var flush = new FlushRequest(deliver: true);
        senders.AddFlush(flush);

        await SendUntilAsync(senders, () => _counters.Sent == 1 && _server.ReceivedRequestCount == 2 && !senders.HasAnswer);
        senders.CompleteFlushes();

        senders.HaltedStatus.Should().Be(0, "the project's tracking goes on");
        flush.Task.IsCompleted.Should().BeTrue();
        _writer.Queue[RecordEndpoint.Import].CompletedTotal.Should().Be(0, "the import stays stored");
        _writer.Queue[RecordEndpoint.Import].UnreadCount.Should().Be(0, "it is held by its sender, to go at the next start");
        _server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Track);
    }

    [Fact]
    public async Task RetryNow_WhileABatchWaitsOutItsBackoff_SendsItAtOnce()
    {
        var senders = CreateSut();
        _server.Faults.Enqueue(ServerFault.Status(503));
        Store(RecordEndpoint.Engage, 3);
        await SendUntilAsync(senders, () => _counters.Retried == 1);
        senders.NextDue().Should().Be(Timestamp(TimeSpan.FromSeconds(3)), "the first retry waits 2 s and the jitter's least, 1 s");

        senders.Start();
        _server.ReceivedRequestCount.Should().Be(1, "the backoff is not over");
        senders.RetryNow();
        await SendUntilAsync(senders, () => _counters.Sent == 3);

        _server.ReceivedRequestCount.Should().Be(2);
        senders.NextDue().Should().Be(long.MaxValue);
    }

    [Fact]
    public async Task Purge_AfterCancelSends_DropsWhatWasOnTheWireAndLetsLaterRequestsGo()
    {
        var senders = await StartARequestLeftUnansweredAsync();

        senders.CancelSends();
        await SendUntilAsync(senders, () => _counters.GetDropped(DropReason.OptedOut) == 3);
        senders.Purge();
        Store(RecordEndpoint.Engage, 3);
        await SendUntilAsync(senders, () => _counters.Sent == 3);

        _server.Records.Should().HaveCount(3, "the batch sent after the opt-out is not cancelled");
        _writer.Queue.Count.Should().Be(0);
    }

    [Fact]
    public async Task Settle_WhileStopping_KeepsTheBatchCancelledOnTheWireStored()
    {
        var senders = await StartARequestLeftUnansweredAsync();

        senders.CancelSends();
        await _wake.WaitAsync(Patience);
        senders.Settle(stopping: true);

        _writer.Queue.Count.Should().Be(3, "it goes at the next start");
        _counters.GetDropped(DropReason.OptedOut).Should().Be(0);
    }

    [Fact]
    public void CompleteAllFlushes_WhenTheLoopEnds_ReleasesEveryFlushWaiting()
    {
        var senders = CreateSut();
        Store(RecordEndpoint.Track, 1);
        var flushes = new[] { new FlushRequest(deliver: true), new FlushRequest(deliver: true) };
        foreach (var flush in flushes)
        {
            senders.AddFlush(flush);
        }

        senders.CompleteFlushes();
        flushes.Should().OnlyContain(flush => !flush.Task.IsCompleted);

        senders.CompleteAllFlushes();
        flushes.Should().OnlyContain(flush => flush.Task.IsCompleted);
    }

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        _folder.Dispose();
    }

    private SenderSet CreateSut(Action<MixpanelOptions>? configure = null)
    {
        _options = new MixpanelOptions
        {
            ProjectToken = Token,
            ApiSecret = "secret",
            ApiHost = _server.BaseAddress,
            BatchSize = 3,
            SendDefaultProperties = false,
        };
        configure?.Invoke(_options);
        var client = new HttpClient();
        var intake = new Intake(new AsyncSignal(), _time, _options.TrackMemoryBudgetBytes, _options.BatchSize);
        _writer = new RecordWriter(_options, new RecordSerializer(_options.ProjectToken, LibraryInfo.Current), intake, _time, NullLogger.Instance, _counters);
        _writer.Open(RecordQueue.OpenSlot(_folder.Combine("queue"), 64 * 1024, discardTag: 0, out _) ?? throw new InvalidOperationException("No slot."), PropertyMap.Empty);
        var senders = new SenderSet(_options, new HttpSender(client, _options, _time), _writer, _wake, _time, NullLogger.Instance, _counters, static () => 0);
        _owned.AddRange([client, intake, _writer, senders]);
        return senders;
    }

    /// <summary>
    /// Writes <paramref name="count"/> records for <paramref name="endpoint"/> (events or profile updates) to the queue, as
    /// the loop has the writer do; <paramref name="aged"/>: events too old for <c>/track</c>, which go to <c>/import</c>.
    /// </summary>
    private void Store(RecordEndpoint endpoint, int count, bool aged = false)
    {
        var identity = new EventIdentity("user-1", "device-1", "user-1", PropertyMap.Empty);
        var time = _time.GetUtcNow().AddDays(aged ? -6 : 0).ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            _writer.Write(
                endpoint == RecordEndpoint.Engage
                    ? new ProfileRecord(new ProfileUpdate(ProfileOperation.Add, QueueFrames.Properties(("credits", 1))), "user-1", "device-1")
                    : new EventRecord("event", PropertyMap.Empty, identity, time, null),
                PropertyMap.Empty);
        }

        _writer.TryCommit(final: true, out _).Should().BeTrue();
    }

    /// <summary>Three profile updates on the wire, which the server never answers.</summary>
    private async Task<SenderSet> StartARequestLeftUnansweredAsync()
    {
        var senders = CreateSut();
        _server.Faults.Enqueue(ServerFault.NeverRespond());
        Store(RecordEndpoint.Engage, 3);
        senders.Start();
        await _server.WaitForAsync(static server => server.HeldRequestCount == 1, Patience);
        return senders;
    }

    /// <summary>Starts requests and settles their answers, as the loop does, until <paramref name="done"/>.</summary>
    private async Task SendUntilAsync(SenderSet senders, Func<bool> done)
    {
        senders.Start();
        while (!done())
        {
            await _wake.WaitAsync(Patience);
            senders.Settle(stopping: false);
            senders.Start();
        }
    }

    private long Timestamp(TimeSpan fromNow) => _time.GetTimestamp() + (long)(fromNow.TotalSeconds * _time.TimestampFrequency);
}
