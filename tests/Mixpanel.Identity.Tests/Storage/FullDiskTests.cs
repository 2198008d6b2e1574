using FluentAssertions;
using Mixpanel.Identity.Tests.Delivery;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Storage;

/// <summary>A disk with no room left never stops the app: on a real, full tmpfs the client starts, and keeps its records in memory.</summary>
public sealed class FullDiskTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Start_OnANearlyFullDisk_FallsBackToMemoryInsteadOfCrashing()
    {
        using var disk = SmallDisk.TryMount(pages: 32, output);
        if (disk is null)
        {
            return;
        }

        await using var server = await KillTestApp.StartServerAsync();

        // One page left: enough for the identity file, none for the change counter the client maps into memory.
        disk.FillLeaving(freePages: 1);
        var printed = await KillTestApp.RunToEndAsync(disk.Path, server, first: 1, mode: "start");

        printed.Should().Contain("started durable=False", "the client started, in memory, instead of dying of SIGBUS");
    }
}
