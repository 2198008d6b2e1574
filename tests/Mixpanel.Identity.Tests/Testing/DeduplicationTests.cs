using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class DeduplicationTests
{
    [Fact]
    public async Task DeduplicatedRecords_SameEventDistinctIdTimeAndInsertId_KeepsTheFirst()
    {
        await using var sut = await CreateSut();
        var first = SampleRecords.Event("Purchase", insertId: "abc");
        var retry = first.DeepClone().AsObject();
        retry.Properties()["attempt"] = 2;

        await sut.Client.PostAsync("/track", SampleRecords.Batch(first));
        await sut.Client.PostAsync("/track", SampleRecords.Batch(retry));

        sut.Server.Records.Should().HaveCount(2);
        var kept = sut.Server.DeduplicatedRecords.Should().ContainSingle().Subject;
        kept.RequestIndex.Should().Be(0);
        kept.Properties.TryGetProperty("attempt", out _).Should().BeFalse();
    }

    [Fact]
    public async Task DeduplicatedRecords_TimeInSecondsAndInMilliseconds_AreTheSameTime()
    {
        await using var sut = await CreateSut();
        var inSeconds = SampleRecords.Event(insertId: "abc", timeMilliseconds: SampleRecords.Now.ToUnixTimeSeconds());
        var inMilliseconds = SampleRecords.Event(insertId: "abc", timeMilliseconds: SampleRecords.Now.ToUnixTimeMilliseconds());

        await sut.Client.PostAsync("/track", SampleRecords.Batch(inSeconds, inMilliseconds));

        sut.Server.DeduplicatedRecords.Should().ContainSingle();
    }

    [Theory]
    [InlineData("Other Event", "user-1", 0, "abc")]
    [InlineData("Purchase", "user-2", 0, "abc")]
    [InlineData("Purchase", "user-1", 1000, "abc")]
    [InlineData("Purchase", "user-1", 0, "def")]
    public async Task DeduplicatedRecords_AnyPartOfTheKeyDiffers_KeepsBoth(string name, string distinctId, long timeOffset, string insertId)
    {
        await using var sut = await CreateSut();
        var now = SampleRecords.Now.ToUnixTimeMilliseconds();

        await sut.Client.PostAsync("/track", SampleRecords.Batch(
            SampleRecords.Event("Purchase", "user-1", "abc", now),
            SampleRecords.Event(name, distinctId, insertId, now + timeOffset)));

        sut.Server.DeduplicatedRecords.Should().HaveCount(2);
    }

    [Fact]
    public async Task DeduplicatedRecords_EventsWithoutInsertId_AreNeverDeduplicated()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event();
        record.Properties().Remove("$insert_id");

        await sut.Client.PostAsync("/track", SampleRecords.Batch(record, record));

        sut.Server.DeduplicatedRecords.Should().HaveCount(2);
    }

    [Fact]
    public async Task DeduplicatedRecords_ProfileAndGroupUpdates_AreAllKept()
    {
        await using var sut = await CreateSut();

        await sut.Client.PostAsync("/engage", SampleRecords.Batch(SampleRecords.ProfileSet(), SampleRecords.ProfileSet()));
        await sut.Client.PostAsync("/groups", SampleRecords.Batch(SampleRecords.GroupSet(), SampleRecords.GroupSet()));

        sut.Server.DeduplicatedRecords.Should().HaveCount(4);
    }

    [Fact]
    public async Task DeduplicatedRecords_AcrossTrackAndImport_DeduplicatesOnTheSameKey()
    {
        await using var sut = await CreateSut();
        var record = SampleRecords.Event(insertId: "abc");

        await sut.Client.PostAsync("/track", SampleRecords.Batch(record));
        await sut.Client.PostAsync("/import", SampleRecords.Batch(record));

        sut.Server.DeduplicatedRecords.Should().ContainSingle().Which.Endpoint.Should().Be(MixpanelEndpoint.Track);
    }

    [Fact]
    public async Task DeduplicatedRecords_RetryAfterALostResponse_FoldsTheDuplicates()
    {
        await using var sut = await CreateSut();
        sut.Server.Faults.Enqueue(ServerFault.DropResponse());
        var batch = SampleRecords.Batch(SampleRecords.Event("A"), SampleRecords.Event("B"));

        var lost = async () => await sut.Client.PostAsync("/track", batch);
        await lost.Should().ThrowAsync<HttpRequestException>();
        var retried = await sut.Client.PostAsync("/track", batch);

        retried.StatusCode.Should().Be(200);
        sut.Server.Records.Should().HaveCount(4);
        sut.Server.DeduplicatedRecords.Select(r => r.EventName).Should().Equal("A", "B");
        sut.Server.DeduplicatedRecords.Should().OnlyContain(r => r.RequestIndex == 0);
    }

    private static Task<RunningServer> CreateSut() => RunningServer.StartAsync();
}
