using FluentAssertions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Mixpanel.Identity.Storage;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Storage;

/// <summary>Where identity and queue may live: the app's own folder, owner-only, never a shared one.</summary>
public sealed class StorageLocationTests
{
    [Fact]
    public void GetStorageDirectory_Relative_IsTakenFromTheAppsFolderNotTheCurrentOne()
    {
        var options = new MixpanelOptions { ProjectToken = "t", StorageDirectory = Path.Combine("data", "mixpanel") };

        options.GetStorageDirectory().Should().Be(Path.Combine(AppContext.BaseDirectory, "data", "mixpanel"));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void ResolveStorageDirectory_WithNoPerUserFolder_NeverFallsBackToASharedOne(string? localApplicationData)
    {
        var options = new MixpanelOptions { ProjectToken = "t" };

        var act = () => options.ResolveStorageDirectory(localApplicationData);

        act.Should().Throw<InvalidOperationException>().WithMessage("*StorageDirectory*");
    }

    [Fact]
    public void ResolveStorageDirectory_ByDefault_IsUnderTheUsersFolderAndNamesNoToken()
    {
        var options = new MixpanelOptions { ProjectToken = "secret-token" };

        var directory = options.ResolveStorageDirectory("/home/ann/.local/share");

        directory.Should().StartWith(Path.Combine("/home/ann/.local/share", "Mixpanel.Identity"));
        directory.Should().NotContain("secret-token");
    }

    [Fact]
    public async Task Start_InADirectoryOthersMayWriteTo_KeepsEverythingInMemoryAndSaysWhy()
    {
        if (!UnixPermissions.IsUnix)
        {
            return;
        }

        using var directory = new TempDirectory();
        UnixPermissions.SetMode(directory.Path, 0x1FF); // 0777
        var logs = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(logs)));

        await using var client = new MixpanelClient(new MixpanelOptions { ProjectToken = "t", StorageDirectory = directory.Path }, loggerFactory: loggerFactory);

        client.Diagnostics.IsDurable.Should().BeFalse();
        Directory.EnumerateFileSystemEntries(directory.Path).Should().BeEmpty("nothing is written where others could change it");
        logs.GetSnapshot().Should().Contain(log => log.Id.Id == 1011 && log.Message.Contains("writable by other users", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Start_InANewDirectory_MakesItAndEveryFileInItOwnerOnly()
    {
        if (!UnixPermissions.IsUnix)
        {
            return;
        }

        using var directory = new TempDirectory();
        var storage = Path.Combine(directory.Path, "app", "mixpanel");
        await using (var client = new MixpanelClient(new MixpanelOptions { ProjectToken = "t", StorageDirectory = storage, ApiHost = new Uri("http://127.0.0.1:9/"), ShutdownTimeout = TimeSpan.Zero }))
        {
            client.Track("Stored");
            await client.PersistAsync();
        }

        UnixPermissions.GetMode(storage).Should().Be(UnixPermissions.OwnerOnlyDirectory);
        foreach (var folder in Directory.EnumerateDirectories(storage, "*", SearchOption.AllDirectories))
        {
            UnixPermissions.GetMode(folder).Should().Be(UnixPermissions.OwnerOnlyDirectory, folder);
        }

        var files = Directory.EnumerateFiles(storage, "*", SearchOption.AllDirectories).ToList();
        files.Should().Contain(f => f.EndsWith(".seg", StringComparison.Ordinal)).And.Contain(f => f.EndsWith("identity.json", StringComparison.Ordinal));
        foreach (var file in files)
        {
            UnixPermissions.GetMode(file).Should().Be(UnixPermissions.OwnerOnlyFile, file);
        }
    }

    [Theory]
    [InlineData(0x1C0, true, null)]
    [InlineData(0x1ED, true, null)]
    [InlineData(0x1FF, true, "it is writable by other users")]
    [InlineData(0x3FF, true, "it is writable by other users")]
    [InlineData(0x1F0, true, "it is writable by other users")]
    [InlineData(0x1C0, false, "it belongs to another user")]
    public void Judge_ModeAndOwner_RefusesSharedOrForeignFolders(int mode, bool isOwner, string? refusal) =>
        StorageLocation.Judge(mode, isOwner).Should().Be(refusal);
}
