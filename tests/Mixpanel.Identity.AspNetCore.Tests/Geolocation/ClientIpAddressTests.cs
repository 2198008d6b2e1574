using System.Net;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mixpanel.Identity.AspNetCore.Geolocation;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Geolocation;

public sealed class ClientIpAddressTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("fe80::1%3", "fe80::1")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::1", "::1")]
    public void Format_Address_GivesTheTextMixpanelReads(string address, string expected)
    {
        ClientIpAddress.Format(IPAddress.Parse(address)).Should().Be(expected);
    }

    [Fact]
    public void Format_NoAddress_GivesNull()
    {
        ClientIpAddress.Format(null).Should().BeNull();
    }

    [Fact]
    public void From_RequestWithForwardedForHeader_ReadsOnlyTheConnectionsAddress()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:198.51.100.20");
        context.Request.Headers["X-Forwarded-For"] = "192.0.2.99";

        ClientIpAddress.From(context).Should().Be("198.51.100.20");
    }

    [Fact]
    public void From_ConnectionWithoutAnAddress_GivesNull()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers["X-Forwarded-For"] = "192.0.2.99";

        ClientIpAddress.From(context).Should().BeNull();
    }

    [Theory]
    [InlineData("10.0.0.1", "203.0.113.7")]
    [InlineData("10.0.0.2", "10.0.0.2")]
    public async Task From_AfterForwardedHeadersMiddleware_ReadsTheClientOnlyBehindAKnownProxy(string peer, string expected)
    {
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor };
        options.KnownProxies.Add(IPAddress.Parse("10.0.0.1"));
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        context.Request.Headers["X-Forwarded-For"] = "203.0.113.7";
        string? seen = null;
        var middleware = new ForwardedHeadersMiddleware(
            next: c =>
            {
                seen = ClientIpAddress.From(c);
                return Task.CompletedTask;
            },
            NullLoggerFactory.Instance,
            Options.Create(options));

        await middleware.Invoke(context);

        seen.Should().Be(expected);
    }
}
