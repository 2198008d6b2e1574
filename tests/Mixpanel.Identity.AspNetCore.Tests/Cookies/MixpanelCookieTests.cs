using System.Text;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Cookies;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Cookies;

public sealed class MixpanelCookieTests
{
    private const string DeviceId = "0b9c5e1e-6f0e-4b6a-9f8e-3c2d1a0b9c8d";
    private const string OldDeviceId = "162a9bea91d1cb-01213631147e12-3f636c4c-1aeaa0-162a9bea91e8cf";

    // An anonymous visitor's cookie as the browser stores it (library 2.46 and later), arriving from Google search.
    private const string AnonymousCookie =
        "%7B%22distinct_id%22%3A%22%24device%3A0b9c5e1e-6f0e-4b6a-9f8e-3c2d1a0b9c8d%22%2C%22%24device_id%22%3A%220b9c5e1e-6f0e-4b6a-9f8e-3c2d1a0b9c8d%22%2C" +
        "%22%24initial_referrer%22%3A%22https%3A%2F%2Fwww.google.com%2F%22%2C%22%24initial_referring_domain%22%3A%22www.google.com%22%2C%22__mps%22%3A%7B%7D%2C" +
        "%22__mpso%22%3A%7B%22%24initial_referrer%22%3A%22https%3A%2F%2Fwww.google.com%2F%22%2C%22%24initial_referring_domain%22%3A%22www.google.com%22%7D%2C" +
        "%22__mpus%22%3A%7B%7D%2C%22__mpa%22%3A%7B%7D%2C%22__mpu%22%3A%7B%7D%2C%22__mpr%22%3A%5B%5D%2C%22__mpap%22%3A%5B%5D%2C%22%24search_engine%22%3A%22google%22%7D";

    [Fact]
    public void Parse_AnonymousCookie_ReturnsTheDeviceIdAndNoUser()
    {
        var identity = MixpanelCookie.Parse(AnonymousCookie);

        identity.Should().Be(new BrowserIdentity("$device:" + DeviceId, DeviceId, UserId: null)
        {
            InitialReferrer = "https://www.google.com/",
            InitialReferringDomain = "www.google.com",
        });
    }

    [Fact]
    public void Parse_IdentifiedCookie_ReturnsUserAndDevice()
    {
        var identity = MixpanelCookie.Parse(Encode(
            $$"""{"distinct_id":"user-1234","$device_id":"{{DeviceId}}","$initial_referrer":"$direct","$initial_referring_domain":"$direct","__mps":{},"__mpso":{},"__mpus":{},"__mpa":{},"__mpu":{},"__mpr":[],"__mpap":[],"$user_id":"user-1234"}"""));

        identity.Should().Be(new BrowserIdentity("user-1234", DeviceId, "user-1234") { InitialReferrer = "$direct", InitialReferringDomain = "$direct" });
    }

    [Fact]
    public void Parse_AnonymousCookieFromBeforeDevicePrefixes_UsesTheDeviceIdAsDistinctId()
    {
        var identity = MixpanelCookie.Parse(Encode(
            $$"""{"distinct_id":"{{OldDeviceId}}","$device_id":"{{OldDeviceId}}","$initial_referrer":"$direct","$initial_referring_domain":"$direct"}"""));

        identity.Should().Be(new BrowserIdentity(OldDeviceId, OldDeviceId, UserId: null) { InitialReferrer = "$direct", InitialReferringDomain = "$direct" });
    }

    [Fact]
    public void Parse_IdentifiedCookieFromBeforeDevicePrefixes_ReturnsUserAndDevice()
    {
        var identity = MixpanelCookie.Parse(Encode(
            $$"""{"distinct_id":"u-77","$device_id":"{{OldDeviceId}}","$initial_referrer":"$direct","$initial_referring_domain":"$direct","$user_id":"u-77"}"""));

        identity.Should().Be(new BrowserIdentity("u-77", OldDeviceId, "u-77") { InitialReferrer = "$direct", InitialReferringDomain = "$direct" });
    }

    [Fact]
    public void Parse_CookieFromBeforeDeviceIds_ReturnsOnlyTheDistinctId()
    {
        var identity = MixpanelCookie.Parse(Encode(
            $$"""{"distinct_id":"{{OldDeviceId}}","$initial_referrer":"$direct","$initial_referring_domain":"$direct"}"""));

        identity.Should().Be(new BrowserIdentity(OldDeviceId, DeviceId: null, UserId: null) { InitialReferrer = "$direct", InitialReferringDomain = "$direct" });
    }

    [Fact]
    public void Parse_LegacyIdUpgradedByIdentify_ReturnsTheOldIdAsDevice()
    {
        var identity = MixpanelCookie.Parse(Encode(
            $$"""{"distinct_id":"u-9","$had_persisted_distinct_id":true,"$device_id":"{{OldDeviceId}}","$user_id":"u-9"}"""));

        identity.Should().Be(new BrowserIdentity("u-9", OldDeviceId, "u-9"));
    }

    [Fact]
    public void Parse_AfterAlias_KeepsTheDistinctIdAndReportsTheAliasedUser()
    {
        var identity = MixpanelCookie.Parse(Encode(
            $$"""{"distinct_id":"$device:{{DeviceId}}","$device_id":"{{DeviceId}}","__alias":"u-5","$user_id":"u-5"}"""));

        identity.Should().Be(new BrowserIdentity("$device:" + DeviceId, DeviceId, "u-5"));
    }

    [Fact]
    public void Parse_DeviceIdOnlyInThePrefixedDistinctId_TakesItFromThere()
    {
        MixpanelCookie.Parse($$"""{"distinct_id":"$device:{{DeviceId}}"}""")
            .Should().Be(new BrowserIdentity("$device:" + DeviceId, DeviceId, UserId: null));
    }

    [Fact]
    public void Parse_NumericIds_ReadsThemAsWritten()
    {
        MixpanelCookie.Parse("""{"distinct_id":12345,"$device_id":"d-1","$user_id":12345}""")
            .Should().Be(new BrowserIdentity("12345", "d-1", "12345"));
    }

    [Fact]
    public void Parse_KeyGivenTwice_TakesTheLastAsJsonParseDoes()
    {
        MixpanelCookie.Parse("""{"distinct_id":"first","distinct_id":"last"}""")
            .Should().Be(new BrowserIdentity("last", DeviceId: null, UserId: null));
    }

    [Fact]
    public void Parse_ValueAlreadyDecodedByAspNetCore_ReadsTheSame()
    {
        var decoded = Uri.UnescapeDataString(AnonymousCookie);

        MixpanelCookie.Parse(decoded).Should().Be(MixpanelCookie.Parse(AnonymousCookie)).And.NotBeNull();
    }

    [Fact]
    public void Parse_EncodedReferrerInsideDecodedJson_IsNotDecodedTwice()
    {
        var identity = MixpanelCookie.Parse("""{"distinct_id":"a%20b","$initial_referrer":"https://x.test/?q=%7B"}""");

        identity!.DistinctId.Should().Be("a%20b");
    }

    [Fact]
    public void Read_RequestWithTheCookie_ReadsItThroughAspNetCoresCookieParser()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = $"theme=dark; {MixpanelCookie.NameFor("tok3n")}={AnonymousCookie}; other=1";

        MixpanelCookie.Read(context.Request.Cookies, MixpanelCookie.NameFor("tok3n"))
            .Should().Be(new BrowserIdentity("$device:" + DeviceId, DeviceId, UserId: null) { InitialReferrer = "https://www.google.com/", InitialReferringDomain = "www.google.com" });
        MixpanelCookie.Read(context.Request.Cookies, MixpanelCookie.NameFor("another")).Should().BeNull();
    }

    [Fact]
    public void NameFor_ProjectToken_IsTheBrowserLibrarysDefaultName()
    {
        MixpanelCookie.NameFor("abc123").Should().Be("mp_abc123_mixpanel");
    }

    [Theory]
    [InlineData("""{"distinct_id":"$device:x","$user_id":"$device:x"}""", "$device:x", "x", null)]
    [InlineData("""{"distinct_id":"u","$device_id":"","$user_id":""}""", "u", null, null)]
    [InlineData("""{"distinct_id":"u","$device_id":" d","$user_id":"u "}""", "u", null, null)]
    [InlineData("""{"distinct_id":"u","$device_id":{"a":1},"$user_id":["u"]}""", "u", null, null)]
    [InlineData("""{"distinct_id":"u","$device_id":null,"$user_id":true}""", "u", null, null)]
    [InlineData("""{"distinct_id":"u","$device_id":"a\u0007b"}""", "u", null, null)]
    [InlineData("""{"distinct_id":"$device:"}""", "$device:", null, null)]
    public void Parse_UnusableDeviceOrUserId_LeavesThemOut(string json, string distinctId, string? deviceId, string? userId)
    {
        MixpanelCookie.Parse(json).Should().Be(new BrowserIdentity(distinctId, deviceId, userId));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("x")]
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"distinct_id\"")]
    [InlineData("123")]
    [InlineData("{}")]
    [InlineData("%7B")]
    [InlineData("%7B%22distinct_id")]
    [InlineData("%ZZ")]
    [InlineData("%7B%22distinct_id%22%3A%22a%22%7D%ZZ")]
    [InlineData("%7B%22distinct_id%22%3A%22a%22%7D%C3")]
    [InlineData("""{"distinct_id":"a" """)]
    [InlineData("""{"distinct_id":"a"}x""")]
    [InlineData("""{"distinct_id":"a"}{}""")]
    [InlineData("""{"distinct_id":"a",}""")]
    [InlineData("""{'distinct_id':'a'}""")]
    [InlineData("""{"distinct_id":"\ud800"}""")]
    [InlineData("""{"distinct_id":"a\u0000b"}""")]
    [InlineData("""{"distinct_id":"   "}""")]
    [InlineData("""{"distinct_id":null}""")]
    [InlineData("""{"distinct_id":{}}""")]
    [InlineData("""{"distinct_id":["a"]}""")]
    [InlineData("""{"distinct_id":false}""")]
    [InlineData("""{"Distinct_Id":"a"}""")]
    [InlineData("""{"$device_id":"d","$user_id":"u"}""")]
    [InlineData("""{"distinct_id":"a" /* comment */}""")]
    public void Parse_NotAUsableCookie_ReturnsNull(string? value)
    {
        MixpanelCookie.Parse(value).Should().BeNull();
    }

    [Fact]
    public void Parse_IdLongerThan255Characters_ReturnsNull()
    {
        MixpanelCookie.Parse($$"""{"distinct_id":"{{new string('a', 256)}}"}""").Should().BeNull();
        MixpanelCookie.Parse($$"""{"distinct_id":"{{new string('a', 255)}}"}""")!.DistinctId.Should().HaveLength(255);
    }

    [Fact]
    public void Parse_ValueOverTheSizeBound_ReturnsNullWithoutReadingIt()
    {
        var padding = new string(' ', MixpanelCookie.MaxValueLength);

        MixpanelCookie.Parse("""{"distinct_id":"a"}""" + padding).Should().BeNull();
        MixpanelCookie.Parse("""{"distinct_id":"a"}""" + padding[..100]).Should().NotBeNull();
    }

    [Fact]
    public void Parse_DeeplyNestedValue_ReturnsNull()
    {
        var json = """{"distinct_id":"a","x":""" + new string('[', 500) + new string(']', 500) + "}";

        MixpanelCookie.Parse(json).Should().BeNull();
    }

    [Fact]
    public void Parse_CookieCutShortAnywhere_ReturnsNullAndNeverThrows()
    {
        for (var length = 0; length < AnonymousCookie.Length; length++)
        {
            MixpanelCookie.Parse(AnonymousCookie[..length]).Should().BeNull("a cookie cut to {0} characters is not one", length);
        }
    }

    [Fact]
    public void Parse_RandomlyDamagedCookies_NeverThrow()
    {
        const string Fragments = "{}[]\",:%\\u0";
        var random = new Random(4096);
        var decoded = Uri.UnescapeDataString(AnonymousCookie);
        for (var round = 0; round < 3000; round++)
        {
            var source = (round % 2 == 0 ? AnonymousCookie : decoded).ToCharArray();
            for (var hits = random.Next(1, 6); hits > 0; hits--)
            {
                source[random.Next(source.Length)] = random.Next(3) == 0 ? (char)random.Next(char.MaxValue + 1) : Fragments[random.Next(Fragments.Length)];
            }

            var value = new string(source);
            var act = () => MixpanelCookie.Parse(value);

            act.Should().NotThrow();
        }
    }

    // encodeURIComponent, as the browser library applies it to the cookie's JSON.
    private static string Encode(string json)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(json))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || "-_.!~*'()".Contains(c, StringComparison.Ordinal))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }
}
