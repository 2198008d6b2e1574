using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// The process is killed at random moments while it tracks, writes and sends, and restarted on the same directory:
/// every event it reported durable still reaches Mixpanel, exactly once.
/// </summary>
public sealed class KillTests(ITestOutputHelper output)
{
    private const int Kills = 24;

    // Each run tracks numbers from its own range, so a number is never tracked twice.
    private const long RunStride = 1_000_000;

    [Fact]
    public async Task Track_KilledAtRandomMomentsAndRestarted_DeliversEveryDurableEventExactlyOnce()
    {
        using var directory = new TempDirectory();
        await using var server = await KillTestApp.StartServerAsync();
        var seed = Environment.TickCount;
        var random = new Random(seed);
        output.WriteLine($"seed {seed}");
        var durable = new List<long>();

        for (var run = 0; run < Kills; run++)
        {
            // Kill after a random number of durable reports: sometimes at once, sometimes mid-stream.
            var reports = random.Next(0, 6);
            durable.AddRange((await KillTestApp.RunAndKillAsync(directory.Path, server, run * RunStride, reports)).Durable);
        }

        var final = await KillTestApp.RunToEndAsync(directory.Path, server, Kills * RunStride);
        output.WriteLine(final);

        final.Should().StartWith("clean ").And.Contain("queued=0");
        var received = KillTestApp.DeliveredNumbers(server);
        received.Should().OnlyHaveUniqueItems("no number arrives under two different $insert_ids");
        received.Should().Contain(durable, "every event reported durable is delivered");
        durable.Should().NotBeEmpty();
        output.WriteLine($"durable {durable.Count}, delivered {received.Count}, requests {server.ReceivedRequestCount}");
    }
}
