using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Payloads;
using Xunit;

namespace Mixpanel.Identity.Tests.Payloads;

public sealed class ContentIdsTests
{
    // Published xxHash64 values (seed 0), covering the short, 4-byte, 8-byte and 32-byte-stripe paths.
    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    [InlineData("Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1UL)]
    public void Hash_KnownInputs_GiveXxHash64(string text, ulong expected)
    {
        ContentIds.Hash(Encoding.ASCII.GetBytes(text), seed: 0).Should().Be(expected);
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
