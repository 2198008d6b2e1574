namespace Mixpanel.Identity.Identity;

/// <summary>File-system operations the identity store and the durable queue share: owner-only creation, atomic replace.</summary>
internal static class StorageFiles
{
    public static void CreateOwnerOnlyDirectory(string directory)
    {
#if NET8_0_OR_GREATER
        if (!OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return;
        }
#endif
        System.IO.Directory.CreateDirectory(directory);
    }

    /// <summary>Creates (or truncates) a file readable and writable by its owner only, on Unix.</summary>
    public static FileStream CreateOwnerOnly(string path, FileMode mode = FileMode.Create, FileAccess access = FileAccess.Write, FileShare share = FileShare.None)
    {
#if NET8_0_OR_GREATER
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
#else
        return new FileStream(path, mode, access, share);
#endif
    }

    /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/> in one step.</summary>
    public static void ReplaceWith(string source, string destination)
    {
#if NET8_0_OR_GREATER
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
    }
}
