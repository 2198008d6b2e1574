using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Mixpanel.Identity.Users;
using Xunit;

namespace Mixpanel.Identity.Tests.Identity;

/// <summary>Whatever a call accepts, the stored identity reads back after a restart: budgets are kept when writing, never discovered on load.</summary>
public sealed class IdentityRoundTripTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Restart_AfterAProfileUpdateThreeLevelsDeepWhileAnonymous_KeepsTheIdentityAndReleasesTheUpdateWhole()
    {
        using var harness = new ClientHarness(_directory.Path);
        var deviceId = harness.Client.DeviceId;
        var deepest = new Dictionary<string, object?> { ["leaf"] = new List<object?> { 1, "two" } };
        harness.Client.People.Set("nested", new Dictionary<string, object?> { ["middle"] = deepest });
        harness.Client.Register(new Dictionary<string, object?> { ["deep"] = new List<object?> { new List<object?> { new List<object?> { 3 } } } });

        var restarted = harness.Restart();
        restarted.Identify("U1");

        restarted.DeviceId.Should().Be(deviceId, "the stored identity was read back, not replaced");
        restarted.SuperProperties.Should().ContainKey("deep");
        var update = harness.Sent.ProfileUpdates.Should().ContainSingle().Subject;
        update.Json.GetProperty("$set").GetProperty("nested").GetProperty("middle").GetProperty("leaf")[1].GetString().Should().Be("two");
    }

    [Fact]
    public async Task HeldProfileUpdates_BeyondTheirBudget_DropTheOldestWhenWrittenAndTheRestReadBack()
    {
        using var harness = new ClientHarness(_directory.Path);
        var deviceId = harness.Client.DeviceId;
        var large = new string('x', 250);
        for (var i = 0; i < 1_100; i++)
        {
            var update = new Dictionary<string, object?> { ["n"] = i };
            for (var p = 0; p < 24; p++)
            {
                update["p" + p] = large;
            }

            harness.Client.People.Set(update);
        }

        await harness.Client.PersistAsync();
        var dropped = harness.Client.Diagnostics.GetDropped(DropReason.QueueFull);
        var restarted = harness.Restart();

        restarted.DeviceId.Should().Be(deviceId, "the identity file stays within what is read back");
        new FileInfo(Path.Combine(harness.StorageDirectory, IdentityStore.FileName)).Length.Should().BeLessThan(IdentityFile.MaxFileBytes);
        dropped.Should().BeGreaterThan(100, "4 MiB of updates are held; the oldest beyond it are dropped and counted");
        restarted.Identify("U1");
        var released = harness.Sent.ProfileUpdates;
        released.Should().HaveCount(1_100 - (int)dropped);
        released[^1].Json.GetProperty("$set").GetProperty("n").GetInt32().Should().Be(1_099, "the newest are kept");
    }

    [Fact]
    public void Start_WithANumberBeyondWhatAPropertyHolds_SetsTheFileAsideAndTracksOn()
    {
        Directory.CreateDirectory(_directory.Path);
        var deviceId = Guid.NewGuid().ToString();
        File.WriteAllText(
            Path.Combine(_directory.Path, IdentityStore.FileName),
            $"{{\"version\":2,\"deviceId\":\"{deviceId}\",\"optedOut\":false,\"superProperties\":{{\"huge\":1e999}},\"heldProfileUpdates\":[]}}",
            Encoding.UTF8);

        using var harness = new ClientHarness(_directory.Path);
        harness.Client.Track("Opened App");

        harness.Client.DeviceId.Should().NotBe(deviceId, "a damaged file is set aside and a fresh identity made");
        File.Exists(Path.Combine(_directory.Path, IdentityStore.FileName + ".corrupt")).Should().BeTrue();
        harness.Sent.Events.Should().ContainSingle(e => e.EventName == "Opened App");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Identify_WithHalfASurrogatePair_ThrowsAndChangesNothing(int example)
    {
        // Built here: test data passed as text would have its lone surrogates replaced on the way.
        var userId = new[] { "user-\ud800", "\udc00user", "us\udc00\ud800er" }[example];
        using var harness = new ClientHarness(_directory.Path);

        var act = () => harness.Client.Identify(userId);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("userId");
        harness.Client.UserId.Should().BeNull();
    }

    [Fact]
    public void Register_ANameWithHalfASurrogatePair_ThrowsAndChangesNothing()
    {
        using var harness = new ClientHarness(_directory.Path);

        var act = () => harness.Client.Register(new Dictionary<string, object?> { ["plan\ud83d"] = "pro" });

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        harness.Client.SuperProperties.Should().BeEmpty();
        harness.Client.Track("Still fine");
        harness.Sent.Events.Should().ContainSingle(e => e.EventName == "Still fine");
    }

    [Fact]
    public void Identify_AWellFormedPairOutsideTheBasicPlane_IsKeptAsItIs()
    {
        using var harness = new ClientHarness(_directory.Path);

        harness.Client.Identify("user-\ud83d\ude00");
        var restarted = harness.Restart();

        restarted.UserId.Should().Be("user-\ud83d\ude00");
    }
}
