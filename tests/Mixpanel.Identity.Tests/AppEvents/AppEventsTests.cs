using FluentAssertions;
using Mixpanel.Identity.AppEvents;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.AppEvents;

/// <summary>
/// The app events of Mixpanel's mobile SDKs, from a real client on a fake clock: the app's restarts and lifecycle calls
/// are driven by the test, and what Mixpanel received is read from the local server.
/// </summary>
public sealed class AppEventsTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ClientHarness _harness;
    private string _appVersion = "1.0";
    private bool _trackAutomaticEvents = true;

    public AppEventsTests() => _harness = new ClientHarness(_directory.Path, configure: options =>
    {
        options.TrackAutomaticEvents = _trackAutomaticEvents;
        options.AppVersion = _appVersion;
    });

    public void Dispose()
    {
        _harness.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public void FirstOpen_NewInstallation_TrackedOnceAcrossRestarts()
    {
        _harness.Restart();
        _harness.Restart();
        _harness.Client.Identify("user-1");

        var sent = _harness.Sent;

        sent.Events.Select(e => e.EventName).Where(IsAppEvent).Should().Equal(AppLifecycle.FirstOpenEvent);
        var firstOpenDate = sent.ProfileUpdates.Should().ContainSingle().Which.Json;
        firstOpenDate.GetProperty("$set_once").GetProperty(AppLifecycle.FirstOpenDate).GetString().Should().Be("2026-11-23T09:00:00");
        firstOpenDate.GetProperty("$distinct_id").GetString().Should().Be("user-1", "a profile update made while anonymous waits for the user");
    }

    [Fact]
    public void FirstOpen_DeviceThatRanTheClientBeforeAppEventsWereOn_IsNotTracked()
    {
        using var directory = new TempDirectory();
        _trackAutomaticEvents = false;
        using var harness = new ClientHarness(directory.Path, server: _harness.Server, time: _harness.Time, configure: options => options.TrackAutomaticEvents = _trackAutomaticEvents);
        _trackAutomaticEvents = true;

        harness.Restart();
        harness.Restart();

        harness.Sent.Events.Where(e => e.DeviceId == harness.Client.DeviceId && IsAppEvent(e.EventName)).Should().BeEmpty();
        _harness.Sent.Events.Should().Contain(e => e.DeviceId == _harness.Client.DeviceId && e.EventName == AppLifecycle.FirstOpenEvent, "a new device beside it has its first open");
    }

    [Fact]
    public void Updated_OncePerVersionGoingUp()
    {
        foreach (var version in new[] { "1.0", "1.1", "1.1", "1.10", "1.9", "1.10", "2.0-beta", "2.0-beta" })
        {
            _appVersion = version;
            _harness.Restart();
        }

        var updates = _harness.Sent.Events.Where(e => e.EventName == AppLifecycle.UpdatedEvent).ToList();

        updates.Select(e => e.Property(AppLifecycle.UpdatedVersion)).Should().Equal("1.1", "1.10", "2.0-beta");
        updates.Select(e => e.Property("$app_version_string")).Should().Equal("1.1", "1.10", "2.0-beta");
        File.ReadAllText(Path.Combine(_directory.Path, AppInstallFile.FileName)).Should().Contain("2.0-beta");
    }

    [Fact]
    public void Session_ForegroundThenBackground_TrackedWithItsLengthAndAddedToTheProfile()
    {
        _harness.Client.Identify("user-1");
        _harness.Client.OnAppBackgrounded();
        _harness.Client.OnAppForegrounded();
        _harness.Time.Advance(TimeSpan.FromSeconds(42.36));

        _harness.Client.OnAppBackgrounded();

        var sent = _harness.Sent;
        var session = sent.Events.Should().ContainSingle(e => e.EventName == AppLifecycle.SessionEvent).Which;
        session.Properties.GetProperty(AppLifecycle.SessionLength).GetDouble().Should().Be(42.4);
        session.DistinctId.Should().Be("user-1");
        var added = sent.ProfileUpdates.Where(u => u.Json.TryGetProperty("$add", out _)).Select(u => u.Json.GetProperty("$add")).ToList();
        added.Should().HaveCount(2);
        added[0].GetProperty(AppLifecycle.TotalSessions).GetDouble().Should().Be(1);
        added[1].GetProperty(AppLifecycle.TotalSessionLength).GetDouble().Should().Be(42.4);
    }

    [Fact]
    public void Session_ShorterThanTheMinimumOrBackgroundedTwice_IsNotTracked()
    {
        _harness.Time.Advance(TimeSpan.FromSeconds(9.9));
        _harness.Client.OnAppBackgrounded();
        _harness.Time.Advance(TimeSpan.FromMinutes(5));
        _harness.Client.OnAppBackgrounded();

        _harness.Client.OnAppForegrounded();
        _harness.Time.Advance(TimeSpan.FromSeconds(10));
        _harness.Client.OnAppForegrounded();
        _harness.Time.Advance(TimeSpan.FromSeconds(5));
        _harness.Client.OnAppBackgrounded();

        var lengths = _harness.Sent.Events.Where(e => e.EventName == AppLifecycle.SessionEvent)
            .Select(e => e.Properties.GetProperty(AppLifecycle.SessionLength).GetDouble());

        lengths.Should().Equal([15.0], "the second foreground signal keeps the session's start; the background time is no session");
    }

    [Fact]
    public void Session_AppClosedWhileInTheForeground_EndsAtDisposal()
    {
        _harness.Time.Advance(TimeSpan.FromSeconds(30));

        _harness.Restart();

        _harness.Sent.Events.Where(e => e.EventName == AppLifecycle.SessionEvent)
            .Select(e => e.Properties.GetProperty(AppLifecycle.SessionLength).GetDouble()).Should().Equal(30.0);
    }

    [Fact]
    public void Off_ByDefault_NoAppEvents()
    {
        using var directory = new TempDirectory();
        using var harness = new ClientHarness(directory.Path, server: _harness.Server, time: _harness.Time);

        harness.Client.OnAppForegrounded();
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        harness.Client.OnAppBackgrounded();
        harness.Restart();

        new MixpanelOptions().TrackAutomaticEvents.Should().BeFalse();
        harness.Sent.Events.Where(e => e.DeviceId == harness.Client.DeviceId && IsAppEvent(e.EventName)).Should().BeEmpty();
        File.Exists(Path.Combine(directory.Path, AppInstallFile.FileName)).Should().BeFalse();
    }

    [Theory]
    [InlineData("1.0", "1.1", -1)]
    [InlineData("1.9", "1.10", -1)]
    [InlineData("2.0", "10.0", -1)]
    [InlineData("1.0", "1.0.1", -1)]
    [InlineData("1.01", "1.1", 0)]
    [InlineData("2.0-beta", "2.0", 1)]
    [InlineData("3", "3", 0)]
    [InlineData("99999999999999999999.1", "99999999999999999999.2", -1)]
    public void AppVersionOrder_ReadsRunsOfDigitsAsNumbers(string left, string right, int expected)
    {
        Math.Sign(AppVersionOrder.Compare(left, right)).Should().Be(expected);
        Math.Sign(AppVersionOrder.Compare(right, left)).Should().Be(-expected);
    }

    private static bool IsAppEvent(string? name) => name is not null && name.StartsWith("$ae_", StringComparison.Ordinal);
}
