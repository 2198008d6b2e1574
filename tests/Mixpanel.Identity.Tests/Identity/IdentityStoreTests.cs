using FluentAssertions;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Users;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Identity;

public sealed class IdentityStoreTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Save_WritesOneFileAtomicallyWithOwnerOnlyPermissions()
    {
        var storage = _directory.Combine("created-by-the-client");
        using (var harness = new ClientHarness(storage))
        {
            harness.Client.Identify("U1");
        }

        var path = Path.Combine(storage, IdentityStore.FileName);
        File.Exists(path).Should().BeTrue();
        File.Exists(path + ".tmp").Should().BeFalse("the temporary file is renamed over the identity file");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.GetUnixFileMode(storage).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(40)]
    [InlineData(-2)]
    public void Start_WithAFileTruncatedAt_StartsFreshLogsAndKeepsTheDamagedFileAside(int cut)
    {
        var content = WriteValidIdentity();
        var keep = cut >= 0 ? cut : content.Length + cut;
        File.WriteAllBytes(IdentityPath, content[..keep]);

        AssertStartsFreshAndWorks();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(30)]
    [InlineData(60)]
    public void Start_WithGarbledBytesAt_StartsFreshLogsAndKeepsTheDamagedFileAside(int offset)
    {
        var content = WriteValidIdentity();
        for (var i = offset; i < Math.Min(offset + 8, content.Length); i++)
        {
            content[i] = (byte)'#';
        }

        File.WriteAllBytes(IdentityPath, content);

        AssertStartsFreshAndWorks();
    }

    [Fact]
    public void Start_WithAZeroFilledFile_StartsFreshLogsAndKeepsTheDamagedFileAside()
    {
        WriteValidIdentity();
        File.WriteAllBytes(IdentityPath, new byte[4096]);

        AssertStartsFreshAndWorks();
    }

    [Fact]
    public void Start_WithAValidFileOfAnotherShape_StartsFresh()
    {
        File.WriteAllText(IdentityPath, "{\"version\":1,\"deviceId\":\"not-a-uuid\"}");

        AssertStartsFreshAndWorks();
    }

    private string IdentityPath => _directory.Combine(IdentityStore.FileName);

    private byte[] WriteValidIdentity()
    {
        using (var harness = new ClientHarness(_directory.Path))
        {
            harness.Client.Identify("U1");
            harness.Client.Register(new Dictionary<string, object?> { ["plan"] = "pro" });
        }

        return File.ReadAllBytes(IdentityPath);
    }

    private void AssertStartsFreshAndWorks()
    {
        using var harness = new ClientHarness(_directory.Path);

        harness.Client.UserId.Should().BeNull();
        harness.Client.DistinctId.Should().Be("$device:" + harness.Client.DeviceId);
        harness.Logs.GetSnapshot().Should().Contain(log => log.Id.Id == 1001 && log.Level == LogLevel.Warning);
        File.Exists(IdentityPath + ".corrupt").Should().BeTrue();

        harness.Client.Identify("U2");
        harness.Client.Track("Works");
        harness.Sent.Events.Last().DistinctId.Should().Be("U2");
        harness.Restart().UserId.Should().Be("U2", "the fresh identity is saved over the damaged one");
    }
}
