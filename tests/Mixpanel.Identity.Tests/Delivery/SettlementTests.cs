using FluentAssertions;
using Mixpanel.Identity.Delivery;
using Mixpanel.Identity.Protocol;
using Xunit;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>The one settlement of Mixpanel's answers, as a pure function: what is taken, refused, and sent again.</summary>
public sealed class SettlementTests
{
    private static readonly (int Start, int Count) Part = (10, 5);

    [Fact]
    public void Settle_Accepted_DeliversTheWholePart()
    {
        var settled = Settlement.Settle(Part, new Reply(ReplyAction.Delivered, "accepted"));

        settled.Should().BeEquivalentTo(new { Delivered = 5, Refused = Array.Empty<int>(), Resend = Array.Empty<(int, int)>() });
    }

    [Fact]
    public void Settle_NamedFailuresWithoutACount_RefusesThoseAndDeliversTheRest()
    {
        var settled = Settlement.Settle(Part, new Reply(ReplyAction.DropNamed, "named", FailedIndexes: [3, 1]));

        settled.Delivered.Should().Be(3);
        settled.Refused.Should().Equal(13, 11);
        settled.Resend.Should().BeEmpty();
    }

    [Fact]
    public void Settle_NamedFailuresWithAllTheRestImported_DeliversTheRest()
    {
        var settled = Settlement.Settle(Part, new Reply(ReplyAction.DropNamed, "named", FailedIndexes: [0], Imported: 4));

        settled.Delivered.Should().Be(4);
        settled.Resend.Should().BeEmpty();
    }

    [Fact]
    public void Settle_NamedFailuresWithNoneImported_DeliversNothingAndSendsTheValidRunsAgain()
    {
        var settled = Settlement.Settle(Part, new Reply(ReplyAction.DropNamed, "named", FailedIndexes: [1, 3], Imported: 0));

        settled.Delivered.Should().Be(0, "Mixpanel says it imported none of them");
        settled.Refused.Should().Equal(11, 13);
        settled.Resend.Should().Equal((10, 1), (12, 1), (14, 1));
    }

    [Fact]
    public void Settle_RefusedWhole_SendsTwoHalvesFirstHalfFirst()
    {
        var settled = Settlement.Settle(Part, new Reply(ReplyAction.Split, "400 naming no record"));

        settled.Delivered.Should().Be(0);
        settled.Resend.Should().Equal((10, 2), (12, 3));
    }

    [Theory]
    [InlineData(true, DropReason.TooLarge)]
    [InlineData(false, DropReason.Rejected)]
    public void Settle_OneRecordRefusedWhole_RefusesIt(bool tooLarge, DropReason reason)
    {
        var settled = Settlement.Settle((7, 1), new Reply(ReplyAction.Split, "refused", TooLarge: tooLarge));

        settled.Refused.Should().Equal(7);
        settled.RefusedAs.Should().Be(reason);
        settled.Resend.Should().BeEmpty();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Settle_RetryOrHalt_KeepsThePartWhole(bool retry)
    {
        var action = retry ? ReplyAction.Retry : ReplyAction.Halt;
        var settled = Settlement.Settle(Part, new Reply(action, "later"));

        settled.Should().BeEquivalentTo(new { Action = action, Delivered = 0, Refused = Array.Empty<int>(), Resend = Array.Empty<(int, int)>() });
    }
}
