using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Delivery;
using Xunit;

namespace Mixpanel.Identity.Tests.Server;

/// <summary><see cref="MixpanelServerClient"/>: identity given per call, stamped as Mixpanel's own libraries stamp it.</summary>
public sealed class ServerClientTests
{
    private const string DeviceId = "4d2c9a1e-7f3b-4b8e-9c1d-2a6f0e5b7c31";

    [Fact]
    public async Task Track_AnonymousVisitor_GoesUnderTheirDeviceWithTheirAddressAndRequestProperties()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await using var client = harness.StartServerClient();
        var visitor = new MixpanelVisitor(DeviceId)
        {
            IpAddress = "203.0.113.7",
            Properties = new Dictionary<string, object?> { ["$browser"] = "Firefox", ["utm_source"] = "newsletter" },
        };

        client.Track(visitor, "Page Viewed", new Dictionary<string, object?> { ["utm_source"] = "the call's own" });
        await client.FlushAsync(DeliveryHarness.Patience);

        var record = harness.Server.Records.Should().ContainSingle().Subject;
        record.DistinctId.Should().Be("$device:" + DeviceId);
        record.DeviceId.Should().Be(DeviceId);
        record.UserId.Should().BeNull();
        record.GeolocationIp.Should().Be("203.0.113.7", "Mixpanel locates the visitor, not the server");
        record.Properties.GetProperty("$browser").GetString().Should().Be("Firefox");
        record.Properties.GetProperty("utm_source").GetString().Should().Be("the call's own");
    }

    [Fact]
    public async Task Track_DescribesTheVisitorsDeviceAndNeverThisMachine()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await using var client = harness.StartServerClient(options => options.AppVersion = "4.5.6");
        var fromAnUnknownDevice = new MixpanelVisitor(DeviceId);
        var fromAnIPhone = new MixpanelVisitor(DeviceId) { Properties = new Dictionary<string, object?> { ["$os"] = "iOS", ["$device"] = "iPhone" } };

        client.Track(fromAnUnknownDevice, "Viewed Pricing");
        client.Track(fromAnIPhone, "Viewed Cart");
        await client.FlushAsync(DeliveryHarness.Patience);

        foreach (var record in harness.Server.Records)
        {
            foreach (var machine in new[] { "$os_version", "$manufacturer", "$model", "$app_version_string", "$app_build_number" })
            {
                record.Properties.TryGetProperty(machine, out _).Should().BeFalse($"{machine} would describe the server, not the visitor's page or app");
            }

            record.Properties.GetProperty("mp_lib").GetString().Should().Be("dotnet");
        }

        harness.Server.Records.Single(r => r.EventName == "Viewed Pricing").Properties.TryGetProperty("$os", out _)
            .Should().BeFalse("the server's own OS is not the visitor's");
        harness.Server.Records.Single(r => r.EventName == "Viewed Cart").Properties.GetProperty("$os").GetString().Should().Be("iOS");
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public async Task Identify_AfterAnonymousEvents_ResolvesToOneUserInEitherIdMergeSystem(IdMergeApi api)
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await using var client = harness.StartServerClient(options => options.IdMerge = api);
        var visitor = new MixpanelVisitor(DeviceId);

        client.Track(visitor, "Page Viewed");
        var user = client.Identify(visitor, "user-42");
        client.Track(user, "Purchased");
        await client.FlushAsync(DeliveryHarness.Patience);

        var identifies = harness.Server.Records.Where(r => r.EventName == "$identify").ToList();
        if (api == IdMergeApi.Original)
        {
            identifies.Should().ContainSingle().Which.Properties.GetProperty("$anon_distinct_id").GetString().Should().Be("$device:" + DeviceId);
        }
        else
        {
            identifies.Should().BeEmpty("Simplified ID Merge links on $device_id and $user_id");
        }

        var resolution = harness.Server.Resolve(api);
        harness.Server.DeduplicatedRecords.Where(r => r.IsEvent)
            .Select(r => resolution.ResolvedDistinctIdOf(r.InsertId!))
            .Should().OnlyContain(id => id == resolution.ResolveDistinctId("user-42"));
        harness.Server.Records.Single(r => r.EventName == "Purchased").UserId.Should().Be("user-42");
    }

    [Fact]
    public async Task People_ForSignedInVisitor_UpdatesTheirUserFromTheirAddress()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await using var client = harness.StartServerClient();
        var user = new MixpanelVisitor(DeviceId, "user-42") { IpAddress = "198.51.100.4" };

        client.People(user).Set("plan", "pro");
        await client.FlushAsync(DeliveryHarness.Patience);

        var update = harness.Server.Records.Should().ContainSingle().Subject;
        update.Endpoint.Should().Be(MixpanelEndpoint.Engage);
        update.Json.GetProperty("$distinct_id").GetString().Should().Be("user-42");
        update.Json.GetProperty("$ip").GetString().Should().Be("198.51.100.4");
        update.Json.GetProperty("$set").GetProperty("plan").GetString().Should().Be("pro");
    }

    [Fact]
    public async Task People_ForAnonymousVisitor_IsDroppedAndCounted()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await using var client = harness.StartServerClient();

        client.People(new MixpanelVisitor(DeviceId)).Set("plan", "pro");
        await client.FlushAsync(DeliveryHarness.Patience);

        harness.Server.Records.Should().BeEmpty();
        client.Diagnostics.GetDropped(DropReason.NotIdentified).Should().Be(1);
    }

    [Fact]
    public async Task Groups_AndTheVisitorsAfterLogout_AreIndependentOfEachOther()
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await using var client = harness.StartServerClient(options => options.IdMerge = IdMergeApi.Simplified);
        var first = client.Identify(new MixpanelVisitor(DeviceId), "user-1");
        var next = first.AsNewDevice("0b6f2d44-1c2e-4e9a-8d77-5a3c9e1f2b60");

        client.Track(first, "Logged Out");
        client.Track(client.Identify(next, "user-2"), "Logged In");
        client.GetGroup("company", "acme").Set(new Dictionary<string, object?> { ["tier"] = "gold" });
        await client.FlushAsync(DeliveryHarness.Patience);

        var resolution = harness.Server.Resolve(IdMergeApi.Simplified);
        resolution.ResolveDistinctId("user-1").Should().NotBe(resolution.ResolveDistinctId("user-2"));
        harness.Server.Records.Should().ContainSingle(r => r.Endpoint == MixpanelEndpoint.Groups);
    }

    public static TheoryData<string, Action<MixpanelServerClient>> BadCalls => new()
    {
        { "visitor", client => client.Track(null!, "Viewed") },
        { "eventName", client => client.Track(new MixpanelVisitor(DeviceId), " ") },
        { "userId", client => _ = client.Identify(new MixpanelVisitor(DeviceId), "undefined") },
        { "deviceId", _ => new MixpanelVisitor("null").ToString() },
        { "properties", client => client.Track(new MixpanelVisitor(DeviceId), "Viewed", new Dictionary<string, object?> { ["x"] = new object() }) },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public async Task BadInput_ThrowsAtTheCallNamingTheArgument(string parameter, Action<MixpanelServerClient> call)
    {
        await using var harness = await DeliveryHarness.StartAsync();
        await using var client = harness.StartServerClient();

        call.Invoking(c => c(client)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be(parameter);
    }
}
