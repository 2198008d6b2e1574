using FluentAssertions;
using Mixpanel.Identity.AspNetCore.Text;
using Xunit;

namespace Mixpanel.Identity.AspNetCore.Tests.Text;

public sealed class UriComponentTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("spring%20sale", "spring sale")]
    [InlineData("a+b", "a+b")]
    [InlineData("a%2Bb", "a+b")]
    [InlineData("caf%C3%A9", "café")]
    [InlineData("caf%c3%a9", "café")]
    [InlineData("%E2%9C%93%20ok", "✓ ok")]
    [InlineData("%F0%9F%98%80", "😀")]
    [InlineData("%25", "%")]
    [InlineData("déjà%20vu", "déjà vu")]
    public void TryDecode_ValidEscapes_DecodesThem(string encoded, string expected)
    {
        UriComponent.TryDecode(encoded, out var decoded).Should().BeTrue();
        decoded.Should().Be(expected);
    }

    [Theory]
    [InlineData("100%")]
    [InlineData("%2")]
    [InlineData("%zz")]
    [InlineData("%C3")]
    [InlineData("%C3%28")]
    [InlineData("%C3x")]
    [InlineData("%FF")]
    [InlineData("%ED%A0%80")]
    [InlineData("%C0%AF")]
    [InlineData("%E0%A4%A")]
    public void TryDecode_WhatDecodeUriComponentRejects_ReturnsFalse(string encoded)
    {
        UriComponent.TryDecode(encoded, out _).Should().BeFalse();
    }

    [Fact]
    public void TryDecode_LongerThanTheStackBuffers_DecodesThroughPooledBuffers()
    {
        var encoded = string.Concat(Enumerable.Repeat("%C3%A9x", 500));

        UriComponent.TryDecode(encoded, out var decoded).Should().BeTrue();
        decoded.Should().Be(string.Concat(Enumerable.Repeat("éx", 500)));
    }
}
