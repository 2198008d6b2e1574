using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

public sealed class AsyncSignalTests
{
    [Fact]
    public async Task Set_BeforeAWait_CompletesTheNextWaitOnce()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();

        await signal.WaitAsync(CancellationToken.None);
        var second = signal.WaitAsync(CancellationToken.None);

        second.IsCompleted.Should().BeFalse("several sets wake one wait");
        signal.Set();
        await second;
    }

    [Fact]
    public async Task Set_AfterAWaitWasCancelled_IsKeptForTheNextWait()
    {
        var signal = new AsyncSignal();
        using var cancel = new CancellationTokenSource();
        var abandoned = signal.WaitAsync(cancel.Token);
        await cancel.CancelAsync();
        await abandoned.Invoking(async wait => await wait).Should().ThrowAsync<OperationCanceledException>();

        signal.Set();

        signal.WaitAsync(CancellationToken.None).IsCompletedSuccessfully.Should().BeTrue();
    }
}
