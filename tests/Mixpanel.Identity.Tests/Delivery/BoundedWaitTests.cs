using FluentAssertions;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>No call waits without bound on Mixpanel, the network, or an app's own HTTP handler.</summary>
public sealed class BoundedWaitTests
{
    [Fact]
    public async Task DisposeAsync_WithAHandlerThatIgnoresCancellation_ReturnsAtShutdownTimeoutAndKeepsTheRecords()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        using var handler = new StuckHandler();
        using var http = new HttpClient(handler);
        var options = harness.Options(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        var client = new MixpanelClient(options, http, harness.Time);
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var flush = client.FlushAsync(CancellationToken.None);
        await handler.Entered.WaitAsync(DeliveryHarness.Patience);

        var timers = harness.Time.TimersCreated;
        var disposal = client.DisposeAsync().AsTask();
        await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(5));
        disposal.IsCompleted.Should().BeFalse("disposal delivers for up to ShutdownTimeout");
        harness.Time.Advance(TimeSpan.FromSeconds(5));

        await disposal.WaitAsync(DeliveryHarness.Patience);
        await flush.WaitAsync(DeliveryHarness.Patience);
        handler.Released.Should().BeFalse("the stuck request is abandoned, not waited for");

        var next = harness.StartClient();
        await next.FlushAsync(DeliveryHarness.Patience);
        harness.DeliveredNumbers().Should().Equal(1);
    }

    [Fact]
    public async Task FlushAsync_WithoutATokenWhileOffline_ReturnsAfterFlushTimeoutWithTheRecordsQueued()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await harness.Server.StopAsync();
        var client = harness.StartClient(options => options.FlushTimeout = TimeSpan.FromSeconds(20));
        client.Track("Numbered", DeliveryHarness.Numbered(1));
        var timers = harness.Time.TimersCreated;

        var flush = client.FlushAsync();
        await harness.Time.WaitForTimerAsync(timers, due => due == TimeSpan.FromSeconds(20));
        flush.IsCompleted.Should().BeFalse();
        harness.Time.Advance(TimeSpan.FromSeconds(20));
        await flush.WaitAsync(DeliveryHarness.Patience);

        client.Diagnostics.Queued.Should().Be(1, "what was not delivered stays queued, and says so");
        client.Diagnostics.Dropped.Should().Be(0);
    }

    /// <summary>A handler as some apps write them: it never answers and ignores the cancellation token.</summary>
    private sealed class StuckHandler : HttpMessageHandler
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<HttpResponseMessage> _never = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public bool Released => _never.Task.IsCompleted;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            return _never.Task;
        }
    }
}
