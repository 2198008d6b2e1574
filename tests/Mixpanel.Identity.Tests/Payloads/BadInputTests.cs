using FluentAssertions;
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Payloads;

public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ClientHarness _harness;

    public BadInputTests() => _harness = new ClientHarness(_directory.Path);

    public static TheoryData<string> InvalidIds => new()
    {
        "00000000-0000-0000-0000-000000000000", "anon", "anonymous", "nil", "none", "null", "n/a", "na", "undefined",
        "unknown", "<nil>", "0", "-1", "true", "false", "[]", "{}", "NULL", "Undefined",
    };

    public static TheoryData<object> UnsupportedValues => new()
    {
        new object(), TimeSpan.FromSeconds(1), new Uri("https://example.com"), new Version(1, 0), double.NaN,
        double.PositiveInfinity, float.NegativeInfinity, new Dictionary<int, string> { [1] = "x" },
    };

    public void Dispose()
    {
        _harness.Dispose();
        _directory.Dispose();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Track_InvalidEventName_ThrowsNamingItAndRecordsNothing(string? name)
    {
        var act = () => _harness.Client.Track(name!);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("eventName");
        AssertNothingRecorded();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" \t")]
    [InlineData("$device:abc")]
    [InlineData(" padded")]
    [InlineData("padded ")]
    public void Identify_InvalidId_ThrowsNamingItAndKeepsTheIdentity(string? id)
    {
        var before = _harness.Client.DistinctId;

        var act = () => _harness.Client.Identify(id!);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("userId");
        _harness.Client.DistinctId.Should().Be(before);
        AssertNothingRecorded();
    }

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public void Identify_PlaceholderIdMixpanelRejects_Throws(string id)
    {
        var act = () => _harness.Client.Identify(id);

        act.Should().Throw<ArgumentException>().WithMessage("*placeholder*").Which.ParamName.Should().Be("userId");
        AssertNothingRecorded();
    }

    [Theory]
    [MemberData(nameof(InvalidIds))]
    public void Alias_PlaceholderId_Throws(string id)
    {
        var act = () => _harness.Client.Alias(id);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("alias");
        AssertNothingRecorded();
    }

    [Fact]
    public void Identify_IdLongerThan255Characters_Throws()
    {
        var act = () => _harness.Client.Identify(new string('u', 256));

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("userId");
    }

    [Theory]
    [MemberData(nameof(UnsupportedValues))]
    public void Track_UnsupportedValue_ThrowsNamingThePropertyAndRecordsNothing(object value)
    {
        var act = () => _harness.Client.Track("Event", new Dictionary<string, object?> { ["bad_property"] = value });

        act.Should().Throw<ArgumentException>().WithMessage("*bad_property*").Which.ParamName.Should().Be("properties");
        AssertNothingRecorded();
    }

    [Fact]
    public void Track_ValueNestedDeeperThanThreeLevels_Throws()
    {
        var tooDeep = new Dictionary<string, object?>
        {
            ["l1"] = new Dictionary<string, object?> { ["l2"] = new Dictionary<string, object?> { ["l3"] = new[] { 1 } } },
        };
        var deepestAllowed = new Dictionary<string, object?>
        {
            ["l1"] = new Dictionary<string, object?> { ["l2"] = new[] { 1 } },
        };

        var act = () => _harness.Client.Track("Event", new Dictionary<string, object?> { ["deep"] = tooDeep });
        _harness.Client.Track("Event", new Dictionary<string, object?> { ["ok"] = deepestAllowed });

        act.Should().Throw<ArgumentException>().WithMessage("*deep*levels*");
        _harness.Sent.Events.Should().ContainSingle();
    }

    [Fact]
    public void Track_ListOf255Elements_Throws()
    {
        var act = () => _harness.Client.Track("Event", new Dictionary<string, object?> { ["list"] = Enumerable.Range(0, 255).ToArray() });
        _harness.Client.Track("Event", new Dictionary<string, object?> { ["list"] = Enumerable.Range(0, 254).ToArray() });

        act.Should().Throw<ArgumentException>().WithMessage("*list*").Which.ParamName.Should().Be("properties");
        _harness.Sent.Events.Should().ContainSingle();
    }

    [Fact]
    public void Track_255Properties_Throws()
    {
        var properties = Enumerable.Range(0, 255).ToDictionary(i => "p" + i, i => (object?)i);

        var act = () => _harness.Client.Track("Event", properties);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        AssertNothingRecorded();
    }

    [Theory]
    [InlineData("$insert_id", "has spaces")]
    [InlineData("$insert_id", "0123456789012345678901234567890123456")]
    [InlineData("distinct_id", "null")]
    [InlineData("time", "yesterday")]
    public void Track_InvalidAutomaticOverride_Throws(string name, string value)
    {
        var act = () => _harness.Client.Track("Event", new Dictionary<string, object?> { [name] = value });

        act.Should().Throw<ArgumentException>().WithMessage($"*{name}*").Which.ParamName.Should().Be("properties");
        AssertNothingRecorded();
    }

    [Fact]
    public void PeopleCalls_WithBadArguments_ThrowNamingThem()
    {
        _harness.Client.Identify("U1");
        var people = _harness.Client.People;

        people.Invoking(p => p.Set(null!, 1)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("name");
        people.Invoking(p => p.Set("", 1)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("name");
        people.Invoking(p => p.Set("x", new object())).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("value");
        people.Invoking(p => p.Set((IReadOnlyDictionary<string, object?>)null!)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        people.Invoking(p => p.Increment("n", double.NaN)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("by");
        people.Invoking(p => p.Union("u", null!)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("values");
        people.Invoking(p => p.Union("u", [new object()])).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("values");
        people.Invoking(p => p.Unset("ok", "")).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("names");
        _harness.Sent.ProfileUpdates.Should().BeEmpty();
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsListingEveryProblem()
    {
        var options = new MixpanelOptions
        {
            ProjectToken = " ",
            ApiHost = new Uri("http://api.example.com"),
            BatchSize = 2001,
            FlushInterval = TimeSpan.Zero,
        };

        var act = () => new MixpanelClient(options);

        act.Should().Throw<ArgumentException>().Which.Should().Match<ArgumentException>(e =>
            e.ParamName == "options" &&
            e.Message.Contains("ProjectToken", StringComparison.Ordinal) &&
            e.Message.Contains("https", StringComparison.Ordinal) &&
            e.Message.Contains("BatchSize", StringComparison.Ordinal) &&
            e.Message.Contains("FlushInterval", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(" u7")]
    [InlineData("account-9 ")]
    public void Identify_IdWithSurroundingWhiteSpace_QuotesTheIdPassed(string id)
    {
        var act = () => _harness.Client.Identify(id);

        act.Should().Throw<ArgumentException>().WithMessage($"*'{id}' and '{id.Trim()}'*").Which.ParamName.Should().Be("userId");
        AssertNothingRecorded();
    }

    [Fact]
    public void Track_PropertyNameOver255Characters_ThrowsNamingTheArgumentAndRecordsNothing()
    {
        var longest = new string('p', 255);
        var tooLong = new string('p', 256);

        var act = () => _harness.Client.Track("Event", new Dictionary<string, object?> { [tooLong] = 1 });
        var actOnProfile = () => _harness.Client.People.Set(tooLong, 1);
        var actOnSuper = () => _harness.Client.Register(new Dictionary<string, object?> { [tooLong] = 1 });

        act.Should().Throw<ArgumentException>().WithMessage("*256 characters*at most 255*").Which.ParamName.Should().Be("properties");
        actOnProfile.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("name");
        actOnSuper.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
        AssertNothingRecorded();
        _harness.Client.Track("Event", new Dictionary<string, object?> { [longest] = "kept" });
        _harness.Sent.Events.Single().Property(longest).Should().Be("kept");
    }

    [Theory]
    [InlineData("$distinct_id")]
    [InlineData("$token")]
    [InlineData("$group_id")]
    public void PeopleSet_FieldOfTheUpdateRecord_ThrowsNamingTheArgumentInTheClientAndItsFake(string name)
    {
        var fake = new FakeMixpanelClient();
        _harness.Client.Identify("u1");
        fake.Identify("u1");

        foreach (var people in new[] { _harness.Client.People, fake.People })
        {
            people.Invoking(p => p.Set(name, "u2")).Should().Throw<ArgumentException>().WithMessage($"*'{name}'*Identify*").Which.ParamName.Should().Be("name");
            people.Invoking(p => p.Set(new Dictionary<string, object?> { [name] = "u2" })).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("properties");
            people.Invoking(p => p.Unset(name)).Should().Throw<ArgumentException>().Which.ParamName.Should().Be("names");
        }

        fake.ProfileUpdates.Should().BeEmpty();
        _harness.Sent.ProfileUpdates.Should().BeEmpty();
    }

    private void AssertNothingRecorded()
    {
        _harness.Sent.Records.Should().BeEmpty();
        _harness.Client.Diagnostics.Accepted.Should().Be(0);
    }

    [Fact]
    public void Groups_MoreOfOneKeyThanAMixpanelListHolds_ThrowNamingTheArgumentAndChangeNothing_InTheClientAndItsFake()
    {
        foreach (IMixpanelClient client in new IMixpanelClient[] { _harness.Client, new FakeMixpanelClient() })
        {
            client.Identify("user-1");
            client.SetGroup("team", Enumerable.Range(0, 254).Cast<object>());

            var add = () => client.AddGroup("team", 254);
            var set = () => client.SetGroup("team", Enumerable.Range(0, 255).Cast<object>());

            add.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("groupId", client.GetType().Name);
            set.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("groupIds", client.GetType().Name);
            client.SuperProperties["team"].Should().BeAssignableTo<IEnumerable<object?>>().Which.Should().HaveCount(254);
            client.AddGroup("team", 253);
        }
    }
}
