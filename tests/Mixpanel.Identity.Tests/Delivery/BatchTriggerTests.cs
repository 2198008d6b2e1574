using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>When records move on, as pure rules.</summary>
public sealed class BatchTriggerTests
{
    [Theory]
    [InlineData(0, 50, false, false)]
    [InlineData(0, 50, true, false)]
    [InlineData(49, 50, false, false)]
    [InlineData(50, 50, false, true)]
    [InlineData(1, 50, true, true)]
    public void ShouldSend_AFullBatchOrAFlushWithSomethingStored(long stored, int batchSize, bool flushing, bool expected) =>
        BatchTrigger.ShouldSend(stored, batchSize, flushing).Should().Be(expected);

    [Theory]
    [InlineData(0, 0, true, true, true, false)]
    [InlineData(3, 300, false, false, false, false)]
    [InlineData(3, 300, true, false, false, true)]
    [InlineData(3, 300, false, true, false, true)]
    [InlineData(3, 1024, false, false, false, true)]
    [InlineData(3, 300, false, false, true, true)]
    public void ShouldCommit_GathersUntilTheIntervalAFlushAFullWriteOrAnIdleEndpointsBatch(
        int waiting, int bytes, bool intervalPassed, bool flushing, bool idleEndpointHasBatch, bool expected) =>
        BatchTrigger.ShouldCommit(waiting, bytes, maxGroupBytes: 1024, intervalPassed, flushing, idleEndpointHasBatch).Should().Be(expected);
}
