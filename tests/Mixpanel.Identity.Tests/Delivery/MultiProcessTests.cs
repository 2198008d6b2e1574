using System.Collections.Concurrent;
using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Delivery;

/// <summary>
/// Several processes of one app on one storage directory, each killed and started again at random while it tracks:
/// they share one device id, and every event any of them reported durable reaches Mixpanel exactly once.
/// </summary>
public sealed class MultiProcessTests(ITestOutputHelper output)
{
    private const int Processes = 4;
    private const int RunsEach = 5;
    private const long RunStride = 1_000_000;

    [Fact]
    public async Task Track_FourProcessesKilledAndRestartedAtRandom_ShareOneDeviceAndDeliverEveryDurableEventExactlyOnce()
    {
        using var directory = new TempDirectory();
        await using var server = await KillTestApp.StartServerAsync();
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var durable = new ConcurrentBag<long>();
        var devices = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, Processes).Select(process => Task.Run(async () =>
        {
            var random = new Random(seed + process);
            for (var run = 0; run < RunsEach; run++)
            {
                var first = ((process * RunsEach) + run) * RunStride;
                var (device, numbers) = await KillTestApp.RunAndKillAsync(directory.Path, server, first, reports: random.Next(0, 5));
                devices.Add(device);
                foreach (var n in numbers)
                {
                    durable.Add(n);
                }
            }
        })));

        var final = await KillTestApp.RunToEndAsync(directory.Path, server, Processes * RunsEach * RunStride);
        output.WriteLine(final);

        final.Should().StartWith("clean ").And.Contain("queued=0");
        devices.Distinct().Should().ContainSingle("every process on the directory is the same device");
        var received = KillTestApp.DeliveredNumbers(server);
        received.Should().OnlyHaveUniqueItems("no number arrives under two different $insert_ids");
        received.Should().Contain(durable, "every event reported durable is delivered");
        durable.Should().NotBeEmpty();
        output.WriteLine($"durable {durable.Count}, delivered {received.Count}, requests {server.ReceivedRequestCount}");
    }
}
