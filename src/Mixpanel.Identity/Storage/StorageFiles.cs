namespace Mixpanel.Identity.Storage;

/// <summary>
/// File-system operations the identity store and the durable queue share: owner-only creation, atomic replace, and
/// OS file locks.
/// </summary>
internal static class StorageFiles
{
    /// <summary>Creates a directory readable and writable by its owner only (Unix); an existing one is left as it is.</summary>
    public static void CreateOwnerOnlyDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            return;
        }

#if NET
        if (UnixPermissions.IsUnix)
        {
#pragma warning disable CA1416 // Unix only, checked above.
            Directory.CreateDirectory(directory, (UnixFileMode)UnixPermissions.OwnerOnlyDirectory);
#pragma warning restore CA1416
            return;
        }
#endif
        Directory.CreateDirectory(directory);
        UnixPermissions.SetMode(directory, UnixPermissions.OwnerOnlyDirectory);
    }

    /// <summary>Opens a file, creating it readable and writable by its owner only (Unix) when it is new.</summary>
    /// <remarks>A <paramref name="bufferSize"/> of 0 writes through: nothing waits in a buffer to be written when the stream closes.</remarks>
    public static FileStream OpenOwnerOnly(string path, FileMode mode = FileMode.Create, FileAccess access = FileAccess.Write, FileShare share = FileShare.None, int bufferSize = 4096)
    {
#if NET
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (UnixPermissions.IsUnix)
        {
#pragma warning disable CA1416 // Unix only, checked above.
            options.UnixCreateMode = (UnixFileMode)UnixPermissions.OwnerOnlyFile;
#pragma warning restore CA1416
        }

        return new FileStream(path, options);
#else
        var existed = mode != FileMode.CreateNew && File.Exists(path);
        var stream = new FileStream(path, mode, access, share, Math.Max(1, bufferSize));
        if (!existed)
        {
            try
            {
                UnixPermissions.SetMode(path, UnixPermissions.OwnerOnlyFile);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }

        return stream;
#endif
    }

    /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/> in one step, and makes the new name durable.</summary>
    public static void ReplaceWith(string source, string destination)
    {
#if NET
        File.Move(source, destination, overwrite: true);
#else
        if (File.Exists(destination))
        {
            File.Replace(source, destination, destinationBackupFileName: null);
        }
        else
        {
            File.Move(source, destination);
        }
#endif
        DirectorySync.Flush(Path.GetDirectoryName(destination)!);
    }

    /// <summary>
    /// Takes an exclusive OS lock on <paramref name="path"/> (created if needed) by opening it unshared; null when
    /// another process, or another handle in this one, holds it. The lock ends when the stream is disposed or the
    /// process dies.
    /// </summary>
    public static FileStream? TryLock(string path)
    {
        var existed = File.Exists(path);
        try
        {
            return OpenOwnerOnly(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (existed || File.Exists(path))
        {
            // The file is there and could not be opened unshared: someone holds it. (A missing directory or a full
            // disk are not contention, and propagate.)
            return null;
        }
    }

    /// <summary>
    /// Whether OS file locks hold in <paramref name="directory"/>: a file locked once cannot be locked a second time.
    /// They do nothing where the runtime was told not to take them (<c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>, set by
    /// some container images) and on some network and FUSE file systems; there, processes sharing the directory would
    /// share queue slots and send records twice.
    /// </summary>
    public static bool LockingWorks(string directory)
    {
        var path = Path.Combine(directory, LockProbeFileName);
        using var first = TryLock(path);
        if (first is null)
        {
            // Another process holds the probe this moment: it was kept out, so locks hold.
            return true;
        }

        using var second = TryLock(path);
        return second is null;
    }

    /// <summary>The file <see cref="LockingWorks"/> locks twice.</summary>
    public const string LockProbeFileName = "locking.probe";

    /// <summary>
    /// Takes the lock on <paramref name="path"/>, waiting while another process holds it (it is held for the few
    /// milliseconds of a file write). Throws <see cref="IOException"/> when it is still held after
    /// <paramref name="timeout"/>.
    /// </summary>
    public static FileStream Lock(string path, TimeProvider timeProvider, TimeSpan timeout)
    {
        var start = timeProvider.GetTimestamp();
        var spinner = default(SpinWait);
        while (true)
        {
            if (TryLock(path) is { } stream)
            {
                return stream;
            }

            if (timeProvider.GetElapsedTime(start) > timeout)
            {
                throw new IOException($"The lock '{path}' was held by another process for longer than {timeout}.");
            }

            // Spins, then yields, then sleeps a millisecond at a time.
            spinner.SpinOnce();
        }
    }

    /// <summary>Cuts a file back to <paramref name="length"/>; a disk too broken even for that leaves it to the next start.</summary>
    public static void TruncateQuietly(string path, long length)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            if (file.Length > length)
            {
                file.SetLength(length);
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Cut off on the next start instead.
        }
    }

    /// <summary>Closes a file whose disk may have failed.</summary>
    public static void DisposeQuietly(FileStream? stream)
    {
        try
        {
            stream?.Dispose();
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Closing a file whose disk failed: what was not written was never counted.
        }
    }

    /// <summary>Deletes a file; one that cannot be deleted now is left for the next start.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left for the next start, which deletes segments behind the cursor.
        }
    }
}
