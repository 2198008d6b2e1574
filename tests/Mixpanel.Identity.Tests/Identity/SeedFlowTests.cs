using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Identity;

/// <summary>
/// The flows of Mixpanel's "Identifying Users" guide, row for row: what the client sends on each device for every
/// event, in both ID-merge systems. (What Mixpanel then resolves the rows to is tested end to end with the resolver.)
/// </summary>
public sealed class SeedFlowTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<ClientHarness> _devices = [];

    public void Dispose()
    {
        foreach (var device in _devices)
        {
            device.Dispose();
        }

        _directory.Dispose();
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void NewUserSignup_SendsDeviceOnlyEventsThenDeviceAndUser(IdMergeApi idMerge)
    {
        var phone = Device("phone", idMerge);
        var d1 = phone.Client.DeviceId;

        phone.Client.Track("1");
        phone.Client.Track("2");
        phone.Client.Identify("U1");
        phone.Client.Track("3");

        Rows(phone).Should().Equal(Expect(idMerge,
            ("1", d1, null, "$device:" + d1, null),
            ("2", d1, null, "$device:" + d1, null),
            ("$identify", d1, "U1", "U1", "$device:" + d1),
            ("3", d1, "U1", "U1", null)));
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void ReturningUserOnANewDevice_LinksTheSecondDeviceToTheSameUser(IdMergeApi idMerge)
    {
        var phone = Device("phone", idMerge);
        phone.Client.Track("1");
        phone.Client.Identify("U1");
        phone.Client.Track("3");

        var laptop = Device("laptop", idMerge);
        var d2 = laptop.Client.DeviceId;
        laptop.Client.Track("4");
        laptop.Client.Track("5");
        laptop.Client.Identify("U1");
        laptop.Client.Track("6");

        d2.Should().NotBe(phone.Client.DeviceId, "a new device has a new device id");
        Rows(laptop).Should().Equal(Expect(idMerge,
            ("4", d2, null, "$device:" + d2, null),
            ("5", d2, null, "$device:" + d2, null),
            ("$identify", d2, "U1", "U1", "$device:" + d2),
            ("6", d2, "U1", "U1", null)));
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void MultipleUsersOneDevice_ResetGivesTheSecondUserANewDevice(IdMergeApi idMerge)
    {
        var shared = Device("shared", idMerge);
        var d1 = shared.Client.DeviceId;
        shared.Client.Track("1");
        shared.Client.Identify("U1");
        shared.Client.Track("2");

        shared.Client.Reset();
        var d2 = shared.Client.DeviceId;
        shared.Client.Track("3");
        shared.Client.Track("4");
        shared.Client.Identify("U2");
        shared.Client.Track("5");

        d2.Should().NotBe(d1);
        Rows(shared).Should().Equal(Expect(idMerge,
            ("1", d1, null, "$device:" + d1, null),
            ("$identify", d1, "U1", "U1", "$device:" + d1),
            ("2", d1, "U1", "U1", null),
            ("3", d2, null, "$device:" + d2, null),
            ("4", d2, null, "$device:" + d2, null),
            ("$identify", d2, "U2", "U2", "$device:" + d2),
            ("5", d2, "U2", "U2", null)));
    }

    [Theory]
    [InlineData(IdMergeApi.Original)]
    [InlineData(IdMergeApi.Simplified)]
    public void CustomerFlow_AccountsWithProfilesOnASharedDevice_NeverMixTwoAccounts(IdMergeApi idMerge)
    {
        var device = Device("family-tablet", idMerge);
        var client = device.Client;

        // Anonymous browsing, then sign-up by phone number: the account id is the user id, never the phone.
        client.Track("Viewed Onboarding");
        client.Identify("account-1001");
        client.People.Set(new Dictionary<string, object?>
        {
            ["phone_number"] = "+15551230001",
            ["registration_date"] = new DateTime(2026, 11, 23, 9, 0, 0, DateTimeKind.Utc),
        });
        client.Register(new Dictionary<string, object?> { ["account_id"] = "account-1001" });

        // Switching between the account's solo and partner profiles: no Reset.
        foreach (var profile in new[] { "solo-1", "partner-1", "solo-1" })
        {
            client.Register(new Dictionary<string, object?> { ["active_profile_id"] = profile });
            client.People.Set("active_profile_id", profile);
            client.Track("Switched Profile");
        }

        // Logout, then a second account on the same device.
        client.Track("Logged Out");
        var firstDevice = client.DeviceId;
        client.Reset();
        client.Track("Viewed Login");
        client.Identify("account-2002");
        client.People.Set("phone_number", "+15551230002");
        client.Track("Viewed Feed");

        var secondDevice = client.DeviceId;
        var records = device.Sent.Records;
        var account2 = records.Where(r => r.DeviceId == secondDevice).ToList();
        var account1 = records.Except(account2).ToList();
        var account1Ids = new[] { "account-1001", firstDevice, "$device:" + firstDevice };

        account1.Should().OnlyContain(r => r.UserId == null || r.UserId == "account-1001");
        account2.Should().OnlyContain(r => !account1Ids.Contains(r.DistinctId) && !account1Ids.Contains(r.DeviceId) && !account1Ids.Contains(r.UserId));
        account2.Where(r => r.EventName is not null).Select(r => r.Property("active_profile_id"))
            .Should().OnlyContain(profile => profile == null, "Reset clears the first account's super properties");
        device.Sent.ProfileUpdates.Should().OnlyContain(update => !update.DistinctId!.StartsWith("$device:", StringComparison.Ordinal));
        device.Sent.Events.Where(e => e.EventName == "Switched Profile").Select(e => e.Property("active_profile_id"))
            .Should().Equal("solo-1", "partner-1", "solo-1");
        device.Sent.Events.Count(e => e.EventName == "$identify").Should().Be(idMerge == IdMergeApi.Original ? 2 : 0);
    }

    private static List<(string Event, string? DeviceId, string? UserId, string? DistinctId, string? Anon)> Rows(ClientHarness device) =>
        [.. device.Sent.Events.Select(e => (e.EventName!, e.DeviceId, e.UserId, e.DistinctId, e.Property("$anon_distinct_id")))];

    private static List<(string Event, string? DeviceId, string? UserId, string? DistinctId, string? Anon)> Expect(
        IdMergeApi idMerge, params (string Event, string? DeviceId, string? UserId, string? DistinctId, string? Anon)[] rows) =>
        [.. rows.Where(row => idMerge == IdMergeApi.Original || row.Event != "$identify")];

    private ClientHarness Device(string name, IdMergeApi idMerge)
    {
        var device = new ClientHarness(_directory.Combine(name), idMerge, _devices.FirstOrDefault()?.Time);
        _devices.Add(device);
        return device;
    }
}
