using FluentAssertions;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Attribution;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Attribution;

public sealed class PageAttributionTests
{
    private const string Page = "https://shop.example.com/pricing";

    [Fact]
    public void Parse_EveryCampaignParameterAndClickId_ReadsThemInTheBrowserLibrarysOrder()
    {
        var names = MarketingParameters.Names;
        var url = Page + "?" + string.Join("&", names.Reverse().Select(name => $"{name}=v-{name}"));

        var page = PageAttribution.Parse(url, null);

        Flat(page).Should().Equal(names.Select(name => $"{name}=v-{name}"));
        names.Should().HaveCount(20).And.Contain(["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "gclid", "fbclid"]);
    }

    [Theory]
    [InlineData("?utm_campaign=spring%20sale+2024", "spring sale 2024")]
    [InlineData("?utm_campaign=a%2Bb", "a b")]
    [InlineData("?utm_campaign=caf%C3%A9", "café")]
    [InlineData("?utm_campaign=100%", "100%")]
    [InlineData("?utm_campaign=%C3%28+x", "%C3%28 x")]
    [InlineData("?utm_campaign=a#utm_campaign=b", "a")]
    [InlineData("?next=/cart?utm_campaign=inner", "inner")]
    [InlineData("?utm_campaign=first&utm_campaign=second", "first")]
    [InlineData("#/?utm_campaign=client-route", "client-route")]
    public void Parse_CampaignValue_DecodesItAsTheBrowserLibraryDoes(string query, string expected)
    {
        Flat(PageAttribution.Parse(Page + query, null)).Should().Equal("utm_campaign=" + expected);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?utm_campaign=")]
    [InlineData("?utm_campaign=&utm_campaign=later")]
    [InlineData("?UTM_CAMPAIGN=upper")]
    [InlineData("?xutm_campaign=prefixed")]
    [InlineData("?utm_campaign")]
    [InlineData("?x=1&amp;utm_campaign=html-escaped")]
    public void Parse_NoUsableCampaignValue_ReadsNone(string query)
    {
        PageAttribution.Parse(Page + query, null).Marketing.Should().BeEmpty();
    }

    [Fact]
    public void Parse_SimilarNames_KeepsThemApart()
    {
        var page = PageAttribution.Parse(Page + "?utm_source_platform=ads&utm_source=news&utm_campaign_id=42", null);

        Flat(page).Should().Equal("utm_source=news", "utm_source_platform=ads", "utm_campaign_id=42");
    }

    [Fact]
    public void Parse_NoReferrer_HasNoReferrer()
    {
        var page = PageAttribution.Parse(Page, null);

        page.Referrer.Should().BeNull();
        page.ReferringDomain.Should().BeNull();
    }

    [Theory]
    [InlineData("https://www.google.com/", "www.google.com")]
    [InlineData("https://news.ycombinator.com/item?id=1", "news.ycombinator.com")]
    [InlineData("http://localhost:5000/cart", "localhost:5000")]
    [InlineData("https://example.com", "example.com")]
    [InlineData("android-app://com.google.android.gm/", "com.google.android.gm")]
    public void Parse_Referrer_ReportsItAndItsHost(string referrer, string domain)
    {
        var page = PageAttribution.Parse(Page, referrer);

        page.Referrer.Should().Be(referrer);
        page.ReferringDomain.Should().Be(domain);
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("https:///path")]
    [InlineData("a/")]
    public void Parse_ReferrerWithoutAHost_KeepsItButHasNoDomain(string referrer)
    {
        var page = PageAttribution.Parse(Page, referrer);

        page.Referrer.Should().Be(referrer);
        page.ReferringDomain.Should().BeNull();
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Parse_BlankReferrer_IsNoReferrer(string referrer)
    {
        PageAttribution.Parse(Page, referrer).Referrer.Should().BeNull();
    }

    [Fact]
    public void Parse_LongUrlAndValues_CutsThemTo255Characters()
    {
        var longValue = new string('v', 400);
        var url = Page + "?utm_term=" + longValue;

        var page = PageAttribution.Parse(url, "https://ref.example/" + longValue);

        page.CurrentUrl.Should().Be(url[..255]);
        page.Referrer.Should().HaveLength(255);
        Flat(page).Should().Equal("utm_term=" + longValue[..255]);
    }

    [Fact]
    public void Parse_CutInsideASurrogatePair_DropsTheHalfCharacter()
    {
        var value = new string('a', 254) + "😀";

        var page = PageAttribution.Parse(Page + "?utm_term=" + Uri.EscapeDataString(value), null);

        page.Marketing[0].Value.Should().Be(new string('a', 254));
    }

    [Fact]
    public void Parse_HugeUrl_ReadsOnlyTheBoundedPrefix()
    {
        var url = Page + "?pad=" + new string('x', PageAttribution.MaxUrlLength) + "&utm_source=late";

        var page = PageAttribution.Parse(url, url);

        page.Marketing.Should().BeEmpty();
        page.CurrentUrl.Should().HaveLength(255);
    }

    [Fact]
    public void Parse_HostileText_NeverThrows()
    {
        const string Fragments = "?&=#%2Cutm_source/:+é";
        var random = new Random(7);
        var buffer = new char[300];
        for (var round = 0; round < 2000; round++)
        {
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] = random.Next(5) == 0 ? (char)random.Next(char.MaxValue + 1) : Fragments[random.Next(Fragments.Length)];
            }

            var text = new string(buffer, 0, random.Next(buffer.Length));
            var act = () => PageAttribution.Parse(text, text);

            act.Should().NotThrow();
        }
    }

    [Fact]
    public void FromRequest_BehindPathBase_ReadsTheFullUrlAndReferer()
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("shop.example.com");
        context.Request.PathBase = "/store";
        context.Request.Path = "/café";
        context.Request.QueryString = new QueryString("?utm_source=newsletter&gclid=Cj0KCQ");
        context.Request.Headers.Referer = "https://mail.example.org/inbox";

        var page = PageAttribution.FromRequest(context.Request);

        page.CurrentUrl.Should().Be("https://shop.example.com/store/caf%C3%A9?utm_source=newsletter&gclid=Cj0KCQ");
        page.Referrer.Should().Be("https://mail.example.org/inbox");
        page.ReferringDomain.Should().Be("mail.example.org");
        Flat(page).Should().Equal("utm_source=newsletter", "gclid=Cj0KCQ");
    }

    [Fact]
    public void FromRequest_HostThatAspNetCoreCannotConvert_StillReadsTheUrl()
    {
        var context = new DefaultHttpContext();
        context.Request.Scheme = "http";
        context.Request.Headers.Host = "xn--zz";
        context.Request.Path = "/";

        PageAttribution.FromRequest(context.Request).CurrentUrl.Should().Be("http://xn--zz/");
    }

    [Fact]
    public void WriteTo_PageWithReferrerAndCampaign_SetsEveryKnownProperty()
    {
        var properties = new Dictionary<string, object?>();

        PageAttribution.Parse(Page + "?utm_medium=email", "https://t.co/x").WriteTo(properties);

        properties.Should().Equal(new Dictionary<string, object?>
        {
            ["$current_url"] = Page + "?utm_medium=email",
            ["$referrer"] = "https://t.co/x",
            ["$referring_domain"] = "t.co",
            ["utm_medium"] = "email",
        });
    }

    [Fact]
    public void WriteTo_NoReferrer_SetsOnlyTheCurrentUrl()
    {
        var properties = new Dictionary<string, object?>();

        PageAttribution.Parse(Page, null).WriteTo(properties);

        properties.Should().Equal(new Dictionary<string, object?> { ["$current_url"] = Page });
    }

    private static IEnumerable<string> Flat(PageAttribution page) => page.Marketing.Select(p => $"{p.Key}={p.Value}");
}
