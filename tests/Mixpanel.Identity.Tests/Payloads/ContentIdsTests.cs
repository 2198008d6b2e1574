using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Payloads;
using Xunit;

namespace Mixpanel.Identity.Tests.Payloads;

public sealed class ContentIdsTests
{
    // XXH3-128 of the empty input is the published one; the others pin the short, middle and long paths of the hash.
    // Ids must never change between versions: importing a history again is deduplicated only if each event gets the
    // id it got the first time.
    [Theory]
    [InlineData(-1, "99aa06d3014798d86001c324468d497f")]
    [InlineData(100, "4ae396a9c796973adbc9abcd58a7c139")]
    [InlineData(200, "c1ae50db86fb96249aa10af478585a08")]
    [InlineData(1000, "2483c37a76ee895f5315bc4ca34a6fdd")]
    public void Of_KnownInputs_GiveTheirXxh3Of128Bits(int padding, string expected)
    {
        var json = padding < 0 ? "" : "{\"event\":\"Viewed Item\",\"properties\":{\"pad\":\"" + new string('x', padding) + "\"}}";

        ContentIds.Of(Encoding.UTF8.GetBytes(json)).Should().Be(expected);
    }

    [Fact]
    public void Of_SameJson_SameIdAndAnyChangeAnotherOne()
    {
        var json = Encoding.UTF8.GetBytes("""{"event":"Purchased","properties":{"time":1764000000000,"distinct_id":"user-1","n":1}}""");
        var changed = Encoding.UTF8.GetBytes("""{"event":"Purchased","properties":{"time":1764000000000,"distinct_id":"user-1","n":2}}""");

        var id = ContentIds.Of(json);

        id.Should().MatchRegex("^[0-9a-f]{32}$");
        ContentIds.Of(json).Should().Be(id);
        ContentIds.Of(changed).Should().NotBe(id);
    }

    [Fact]
    public void Of_ManyDistinctEvents_NeverRepeats()
    {
        var ids = Enumerable.Range(0, 50_000).Select(i => ContentIds.Of(Encoding.UTF8.GetBytes($$"""{"n":{{i}}}"""))).ToList();

        ids.Should().OnlyHaveUniqueItems();
    }
}
