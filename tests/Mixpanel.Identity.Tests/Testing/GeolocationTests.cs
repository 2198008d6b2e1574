using FluentAssertions;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>Which address Mixpanel would locate each record by: the record's own, the request's, or none.</summary>
public sealed class GeolocationTests
{
    [Fact]
    public async Task Track_IpOneWithoutIpProperty_LocatesByTheRequestAddress()
    {
        await using var sut = await CreateSut();

        await sut.Client.PostAsync("/track?ip=1", SampleRecords.Batch(SampleRecords.Event()));

        sut.Server.Records.Should().ContainSingle().Which.GeolocationIp.Should().Be("127.0.0.1");
        sut.Server.Requests.Should().ContainSingle().Which.ClientAddress.Should().Be("127.0.0.1");
    }

    [Fact]
    public async Task Track_IpPropertyGiven_LocatesByItAndKeepsItInTheRecord()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["ip"] = "136.24.0.114";

        await sut.Client.PostAsync("/track?ip=1", SampleRecords.Batch(record));

        var received = sut.Server.Records.Should().ContainSingle().Subject;
        received.GeolocationIp.Should().Be("136.24.0.114");
        received.Properties.GetProperty("ip").GetString().Should().Be("136.24.0.114");
    }

    [Theory]
    [InlineData("/track")]
    [InlineData("/track?ip=0")]
    [InlineData("/import")]
    public async Task Events_NotAskedToLocateByRequest_HaveNoAddress(string path)
    {
        await using var sut = await CreateSut();

        await sut.Client.PostAsync(path, SampleRecords.Batch(SampleRecords.Event()));

        sut.Server.Records.Should().ContainSingle().Which.GeolocationIp.Should().BeNull();
    }

    [Theory]
    [InlineData("\"0\"")]
    [InlineData("0")]
    public async Task Track_IpPropertyZero_TurnsGeolocationOffEvenWithIpOne(string zero)
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties()["ip"] = System.Text.Json.Nodes.JsonNode.Parse(zero);

        await sut.Client.PostAsync("/track?ip=1", SampleRecords.Batch(record));

        sut.Server.Records.Should().ContainSingle().Which.GeolocationIp.Should().BeNull();
    }

    [Fact]
    public async Task Get_IpOneFromAForwardingProxy_LocatesByTheForwardedAddress()
    {
        await using var sut = await CreateSut();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/track?ip=1&data=" + RequestShapeTests.Base64(SampleRecords.Event().ToJsonString()));
        request.Headers.Add("X-Forwarded-For", "203.0.113.7, 10.0.0.2");

        using var response = await sut.Client.Http.SendAsync(request);

        response.EnsureSuccessStatusCode();
        sut.Server.Records.Should().ContainSingle().Which.GeolocationIp.Should().Be("203.0.113.7");
        sut.Server.Requests.Should().ContainSingle().Which.ClientAddress.Should().Be("203.0.113.7");
    }

    [Fact]
    public async Task Engage_DollarIp_LocatesByIt()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$ip"] = "2001:db8::1";

        await sut.Client.PostAsync("/engage?ip=1", SampleRecords.Batch(update));

        var received = sut.Server.Records.Should().ContainSingle().Subject;
        received.GeolocationIp.Should().Be("2001:db8::1");
        received.Json.GetProperty("$ip").GetString().Should().Be("2001:db8::1");
    }

    [Theory]
    [InlineData("/engage", "127.0.0.1")]
    [InlineData("/engage?ip=1", "127.0.0.1")]
    [InlineData("/engage?ip=0", null)]
    [InlineData("/groups", "127.0.0.1")]
    [InlineData("/groups?ip=0", null)]
    public async Task ProfileUpdates_WithoutDollarIp_LocateByTheRequestUnlessIpZero(string path, string? expected)
    {
        await using var sut = await CreateSut();

        await sut.Client.PostAsync(path, SampleRecords.Batch(path.StartsWith("/engage", StringComparison.Ordinal) ? SampleRecords.ProfileSet() : SampleRecords.GroupSet()));

        sut.Server.Records.Should().ContainSingle().Which.GeolocationIp.Should().Be(expected);
    }

    [Fact]
    public async Task Engage_DollarIpZero_TurnsGeolocationOff()
    {
        await using var sut = await CreateSut();
        var update = SampleRecords.ProfileSet();
        update["$ip"] = "0";

        await sut.Client.PostAsync("/engage?ip=1", SampleRecords.Batch(update));

        sut.Server.Records.Should().ContainSingle().Which.GeolocationIp.Should().BeNull();
    }

    private static Task<RunningServer> CreateSut() => RunningServer.StartAsync();
}
