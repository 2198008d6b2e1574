using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Server;

/// <summary>Events that waited in the queue longer than <c>/track</c> takes: imported with credentials, dropped and counted without.</summary>
public sealed class AgedEventTests
{
    private const string Secret = "aged-secret";

    [Fact]
    public async Task EventSixDaysOld_WithCredentials_ReachesImportWithItsTimeAndInsertId()
    {
        await using var harness = await DeliveryHarness.StartAsync(server => server.ApiSecret = Secret);
        var tracked = harness.Time.GetUtcNow();
        var offline = harness.StartClient(options => options.ApiSecret = Secret);
        offline.Track("Numbered", new Dictionary<string, object?> { ["n"] = 1, ["$insert_id"] = "kept-1" });
        await offline.DisposeAsync();

        harness.Time.Advance(TimeSpan.FromDays(6));
        var later = harness.StartClient(options => options.ApiSecret = Secret);
        later.Track("Numbered", DeliveryHarness.Numbered(2));
        await later.FlushAsync(DeliveryHarness.Patience);

        var aged = harness.Server.Records.Should().ContainSingle(r => r.Endpoint == MixpanelEndpoint.Import).Subject;
        aged.Time.Should().Be(tracked.ToUnixTimeMilliseconds());
        aged.InsertId.Should().Be("kept-1");
        aged.Properties.GetProperty("n").GetInt32().Should().Be(1);
        harness.Server.Records.Should().ContainSingle(r => r.Endpoint == MixpanelEndpoint.Track).Which.Properties.GetProperty("n").GetInt32().Should().Be(2);
        harness.Server.RejectedRecords.Should().BeEmpty();
        later.Diagnostics.Dropped.Should().Be(0);
        later.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task EventSixDaysOld_WithoutCredentials_IsDroppedAsExpiredAndNothingGoesToImport()
    {
        await using var harness = await DeliveryHarness.StartAsync(server => server.ApiSecret = Secret);
        var offline = harness.StartClient();
        offline.Track("Numbered", DeliveryHarness.Numbered(1));
        await offline.DisposeAsync();

        harness.Time.Advance(TimeSpan.FromDays(6));
        var later = harness.StartClient();
        later.Track("Numbered", DeliveryHarness.Numbered(2));
        await later.FlushAsync(DeliveryHarness.Patience);

        harness.Server.Records.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Track);
        later.Diagnostics.GetDropped(DropReason.Expired).Should().Be(1);
        later.Diagnostics.Queued.Should().Be(0);
    }

    [Fact]
    public async Task AgedEvents_WhenImportRefusesTheCredentials_StayQueuedWhileTrackGoesOn()
    {
        await using var harness = await DeliveryHarness.StartAsync(server => server.ApiSecret = Secret);
        var offline = harness.StartClient(options => options.ApiSecret = "wrong");
        offline.Track("Numbered", DeliveryHarness.Numbered(1));
        await offline.DisposeAsync();

        harness.Time.Advance(TimeSpan.FromDays(6));
        var later = harness.StartClient(options => options.ApiSecret = "wrong");
        later.Track("Numbered", DeliveryHarness.Numbered(2));
        await later.FlushAsync(DeliveryHarness.Patience);

        harness.DeliveredNumbers().Should().Equal(2);
        later.Diagnostics.Dropped.Should().Be(0);
        later.Diagnostics.Queued.Should().Be(1, "the aged event waits for credentials that work");
    }
}
