using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.DependencyInjection;
using Mixpanel.Identity.Storage;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Users;
using Xunit;

namespace Mixpanel.Identity.Tests.Identity;

/// <summary>
/// A client's start: the constructor returns before the stored identity is loaded, and the calls made meanwhile are
/// checked at the call, then applied in order, with their own times, once it is. The test holds the identity's
/// cross-process lock, as another process saving the identity would, so that the start waits for the test to let go.
/// </summary>
public sealed class ClientStartTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
    private LocalMixpanelServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = ClientHarness.Token, TimeProvider = _time });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task CallsMadeWhileTheIdentityLoads_ReturnAtOnceAndAreAppliedInOrderWithTheirOwnTimes()
    {
        var held = HoldIdentityLock();
        await using var client = CreateClient();
        using var release = held;

        client.Track("App Opened");
        client.TimeEvent("Checkout");
        _time.Advance(TimeSpan.FromSeconds(2));
        client.Identify("user-1");
        client.People.Set("plan", "pro");
        client.GetGroup("company", "acme").Set(new Dictionary<string, object?> { ["size"] = 3 });
        _time.Advance(TimeSpan.FromSeconds(3));
        client.Track("Checkout");

        client.IsStarted.Should().BeFalse("the start waits for the identity's lock, and none of the calls waited for it");
        held.Dispose();
        await client.FlushAsync();

        var sent = new SentRecords([.. _server.Records]);
        var events = sent.Events.Select(e => (e.EventName, e.Time, e.UserId)).ToList();
        events.Should().Equal(new (string?, long?, string?)[]
        {
            ("App Opened", _time.Start.ToUnixTimeMilliseconds(), null),
            ("$identify", _time.Start.AddSeconds(2).ToUnixTimeMilliseconds(), "user-1"),
            ("Checkout", _time.Start.AddSeconds(5).ToUnixTimeMilliseconds(), "user-1"),
        });
        sent.Events[2].Properties.GetProperty("$duration").GetDouble().Should().Be(5, "the timer ran from its call to the event's call");
        sent.Events[0].DeviceId.Should().Be(client.DeviceId);
        sent.ProfileUpdates.Should().ContainSingle().Which.Json.GetProperty("$distinct_id").GetString().Should().Be("user-1");
        sent.GroupUpdates.Should().ContainSingle();
    }

    [Fact]
    public async Task FirstOpen_IsTrackedAtTheConstructorsTime_BeforeTheEventsTheAppTrackedWhileTheIdentityLoaded()
    {
        var held = HoldIdentityLock();
        await using var client = CreateClient(options => options.TrackAutomaticEvents = true);
        using var release = held;
        _time.Advance(TimeSpan.FromSeconds(1));
        client.Track("App Opened");

        held.Dispose();
        await client.FlushAsync();

        _server.Records.Select(r => (r.EventName, r.Time)).Should().Equal(
            ("$ae_first_open", _time.Start.ToUnixTimeMilliseconds()),
            ("App Opened", _time.Start.AddSeconds(1).ToUnixTimeMilliseconds()));
    }

    [Fact]
    public async Task HookThatCallsTheClient_WhileTheCallsKeptAreApplied_IsAnsweredAndItsCallsFollow()
    {
        MixpanelClient? client = null;
        var held = HoldIdentityLock();
        await using var created = CreateClient(options =>
        {
            options.TrackAutomaticEvents = true;
            options.BeforeSendEvent = e =>
            {
                // A hook that reads the client, and tracks through it, as an app's hook may.
                var seen = (client!.UserId ?? "anonymous") + "/" + client.Diagnostics.Accepted + "/" + client.IsOptedOut;
                if (e.Name == "Bought")
                {
                    client.Track("Receipt Shown");
                }

                return e.With(properties: new Dictionary<string, object?>(e.Properties) { ["seen"] = seen });
            };
        });
        client = created;
        using var release = held;
        client.Track("Bought");
        client.Identify("user-1");

        held.Dispose();
        await client.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // $identify is the client's own event, which hooks do not see.
        _server.Records.Where(r => r.Endpoint == MixpanelEndpoint.Track).Select(r => (r.EventName, r.Property("seen"))).Should().Equal(new (string?, string?)[]
        {
            ("$ae_first_open", "anonymous/0/False"),
            ("Bought", "anonymous/1/False"),
            ("$identify", null),
            ("Receipt Shown", "user-1/3/False"),
        });
    }

    [Fact]
    public async Task CallsMadeWhileTheIdentityLoads_AreCheckedAtTheCall()
    {
        var held = HoldIdentityLock();
        await using var client = CreateClient();
        using var release = held;

        client.Invoking(c => c.Track("Bought", new Dictionary<string, object?> { ["$insert_id"] = "not valid!" }))
            .Should().Throw<ArgumentException>().WithParameterName("properties");
        client.Invoking(c => c.Identify("")).Should().Throw<ArgumentException>().WithParameterName("userId");
        client.Invoking(c => c.TimeEvent("")).Should().Throw<ArgumentException>().WithParameterName("eventName");

        client.IsStarted.Should().BeFalse();
        held.Dispose();
        await client.FlushAsync();
        _server.Records.Should().BeEmpty("a call refused at the call is not applied later");
    }

    [Fact]
    public async Task ReadingTheIdentity_WaitsForItToLoad()
    {
        var held = HoldIdentityLock();
        await using var client = CreateClient();
        using var release = held;
        client.Identify("user-1");

        var read = Task.Run(() => client.UserId);
        var registered = Task.Run(() => client.Register(new Dictionary<string, object?> { ["plan"] = "pro" }));
        client.IsStarted.Should().BeFalse();
        read.IsCompleted.Should().BeFalse("the identity is not loaded while its lock is held");
        registered.IsCompleted.Should().BeFalse("the super properties' limits are checked against the stored identity");

        held.Dispose();

        (await read).Should().Be("user-1", "the calls made before are applied before a read");
        await registered;
        client.SuperProperties.Should().ContainKey("plan");
    }

    [Fact]
    public async Task CallsPastTheEarlyLimit_WaitForTheIdentity_AndNoneIsLost()
    {
        var held = HoldIdentityLock();
        await using var client = CreateClient();
        using var release = held;
        for (var i = 0; i < SessionStart.MaxEarlyCalls; i++)
        {
            client.Track("Early", new Dictionary<string, object?> { ["n"] = i });
        }

        var pastTheLimit = Task.Run(() => client.Track("Early", new Dictionary<string, object?> { ["n"] = SessionStart.MaxEarlyCalls }));
        client.IsStarted.Should().BeFalse();
        pastTheLimit.IsCompleted.Should().BeFalse("past the limit a call waits for the identity instead of keeping more in memory");

        held.Dispose();
        await pastTheLimit;
        await client.FlushAsync();

        _server.Records.Select(r => r.Properties.GetProperty("n").GetInt32())
            .Should().Equal(Enumerable.Range(0, SessionStart.MaxEarlyCalls + 1));
    }

    [Fact]
    public void SecondClientOnTheDirectory_ThrowsAtTheConstructor_EvenWhileTheFirstIsStillStarting()
    {
        var held = HoldIdentityLock();
        using var first = CreateClient();
        using var release = held;

        var second = () => CreateClient(null);

        second.Should().Throw<InvalidOperationException>().WithMessage("*already using the storage directory*");
        first.IsStarted.Should().BeFalse();
        held.Dispose();
    }

    [Fact]
    public async Task ClientThatFailsToStart_DropsAndCountsTheAppsCalls_InsteadOfThrowingThem()
    {
        // A clock that can tell the time but not make a timer: the delivery loop's own timer fails the start, a fault
        // of the client's own (a failing disk is not one: the client then keeps its records in memory).
        var held = HoldIdentityLock();
        var options = new MixpanelOptions
        {
            ProjectToken = ClientHarness.Token,
            StorageDirectory = _directory.Path,
            ApiHost = _server.BaseAddress,
            TrackAutomaticEvents = false,
        };
        await using var client = new MixpanelClient(options, httpClient: null, new TimerlessTimeProvider(_time));
        client.Track("Kept while starting");
        client.TimeEvent("Checkout");
        client.People.Set("plan", "pro");
        held.Dispose();

        var started = () => ((IFlushOnStop)client).Started;
        await started.Should().ThrowAsync<NotSupportedException>("whoever waits for the start itself is told why it failed");
        client.Track("After the failed start");
        client.Reset();
        client.Identify("user-1");
        client.GetGroup("company", "acme").Set(new Dictionary<string, object?> { ["size"] = 3 });
        client.Invoking(c => c.Track("", null)).Should().Throw<ArgumentException>("the app's bad input is still the app's, at the call");
        await client.FlushAsync();
        await client.PersistAsync();

        client.Diagnostics.GetDropped(DropReason.StartFailed).Should().Be(5, "the two records kept while starting and the three after it failed are dropped; a timer and a reset record nothing");
        _server.Records.Should().BeEmpty();
        client.Diagnostics.IsDurable.Should().BeFalse("nothing is stored, on disk or anywhere");
        client.Diagnostics.ToString().Should().Contain("StartFailed 5", "the one-line summary of a client is never an exception");
        client.Invoking(c => c.DistinctId).Should().Throw<NotSupportedException>("there is no identity to read, and no value to make up");
    }

    private MixpanelClient CreateClient(Action<MixpanelOptions>? configure = null)
    {
        var options = new MixpanelOptions
        {
            ProjectToken = ClientHarness.Token,
            StorageDirectory = _directory.Path,
            ApiHost = _server.BaseAddress,
        };
        configure?.Invoke(options);
        return new MixpanelClient(options, httpClient: null, _time);
    }

    /// <summary>
    /// Takes the identity's lock as another process saving it would. The test declares it after the client, so that it
    /// is let go before the client is disposed (disposal waits for the start), even when an assertion fails first.
    /// </summary>
    private FileStream HoldIdentityLock() =>
        StorageFiles.TryLock(Path.Combine(_directory.Path, IdentityStore.LockFileName)) ?? throw new InvalidOperationException("The identity lock is held already.");
}
