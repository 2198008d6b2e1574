using System.Collections.Concurrent;
using FluentAssertions;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;
using Xunit;

namespace Mixpanel.Identity.Tests.Payloads;

public sealed class InsertIdsTests
{
    [Fact]
    public void Next_AcrossManyBlocks_GivesDistinctVersion4Uuids()
    {
        var ids = Enumerable.Range(0, 5_000).Select(_ => InsertIds.Next().ToString("D")).ToList();

        ids.Should().OnlyHaveUniqueItems();
        ids.Should().AllSatisfy(id =>
        {
            id.Should().MatchRegex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
            id.Length.Should().Be(MixpanelLimits.MaxInsertIdLength);
        });
    }

    [Fact]
    public async Task Next_FromManyThreadsAtOnce_NeverRepeats()
    {
        var ids = new ConcurrentBag<Guid>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                ids.Add(InsertIds.Next());
            }
        })));

        ids.Should().HaveCount(16_000).And.OnlyHaveUniqueItems();
    }
}
