using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;

namespace Mixpanel.Identity.Identity;

/// <summary>
/// The identity on disk: one small file under the storage directory, replaced atomically on every change, guarded by
/// an OS file lock so that one client at a time owns the directory. The lock dies with the process.
/// </summary>
internal sealed class IdentityStore : IDisposable
{
    public const string FileName = "identity.json";
    public const string LockFileName = "client.lock";

    // A real identity file is a few kilobytes; anything this large is damage, not data, and is never read whole.
    private const long MaxFileBytes = 4 * 1024 * 1024;

    private readonly FileStream _lock;
    private readonly string _path;

    private IdentityStore(string directory, FileStream lockStream)
    {
        Directory = directory;
        _lock = lockStream;
        _path = Path.Combine(directory, FileName);
    }

    public string Directory { get; }

    /// <summary>Creates the directory if needed and takes its lock.</summary>
    /// <exception cref="InvalidOperationException">Another client, in this process or another, holds the directory.</exception>
    public static IdentityStore Open(string directory)
    {
        StorageFiles.CreateOwnerOnlyDirectory(directory);
        var lockPath = Path.Combine(directory, LockFileName);
        var existed = File.Exists(lockPath);
        try
        {
            var lockStream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new IdentityStore(directory, lockStream);
        }
        catch (IOException exception) when (existed || File.Exists(lockPath))
        {
            throw new InvalidOperationException(
                $"Another MixpanelClient is already using the storage directory '{directory}'. Use one client per directory " +
                "(register it as a singleton), or give each client its own MixpanelOptions.StorageDirectory.",
                exception);
        }
    }

    /// <summary>
    /// The stored identity; null when there is none yet or it was unreadable. A damaged file is logged and kept aside
    /// as <c>.corrupt</c>: the app never sees an exception for it.
    /// </summary>
    /// <exception cref="IOException">The file exists but could not be read (locked, permissions): it must not be replaced.</exception>
    public IdentityState? Load(ILogger logger)
    {
        var info = new FileInfo(_path);
        if (!info.Exists)
        {
            return null;
        }

        if (info.Length > MaxFileBytes)
        {
            SetAside(logger, $"it is {info.Length} bytes long");
            return null;
        }

        // A read error is not damage: it propagates, and the caller keeps this identity on disk untouched.
        var content = File.ReadAllBytes(_path);
        try
        {
            return IdentityFile.Deserialize(content);
        }
        catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException)
        {
            SetAside(logger, exception.Message);
            return null;
        }
    }

    /// <summary>Writes the state to a temporary file, flushes it to disk, and renames it over the identity file.</summary>
    public void Save(IdentityState state)
    {
        var content = IdentityFile.Serialize(state);
        var temporary = _path + ".tmp";
        using (var stream = StorageFiles.CreateOwnerOnly(temporary))
        {
            stream.Write(content, 0, content.Length);
            stream.Flush(flushToDisk: true);
        }

        StorageFiles.ReplaceWith(temporary, _path);
    }

    public void Dispose() => _lock.Dispose();

    private void SetAside(ILogger logger, string reason)
    {
        var corruptPath = _path + ".corrupt";
        try
        {
            StorageFiles.ReplaceWith(_path, corruptPath);
            Log.IdentityCorrupt(logger, corruptPath, reason);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Log.IdentityUnreadable(logger, exception);
        }
    }
}
