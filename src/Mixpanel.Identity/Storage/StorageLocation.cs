namespace Mixpanel.Identity.Storage;

/// <summary>
/// Decides whether a storage directory is safe to keep the identity and queue in, and prepares it: created
/// owner-only when new; refused when others may write to it or it belongs to another user, because whoever can
/// write there can change who the user is and what is sent under the project's token.
/// </summary>
internal static class StorageLocation
{
    /// <summary>Prepares <paramref name="directory"/>; returns why it is refused, or null when it is ready.</summary>
    public static string? Prepare(string directory)
    {
        if (!Directory.Exists(directory))
        {
            var parent = Path.GetDirectoryName(directory);
            if (!string.IsNullOrEmpty(parent))
            {
                Directory.CreateDirectory(parent);
            }

            StorageFiles.CreateOwnerOnlyDirectory(directory);
        }

        var mode = UnixPermissions.GetMode(directory);
        return Judge(mode, mode is { } current && IsOwner(directory, current))
            ?? (StorageFiles.LockingWorks(directory) ? null : "file locks do nothing there (DOTNET_SYSTEM_IO_DISABLEFILELOCKING, or a network or FUSE file system), so processes sharing it could send the same records twice");
    }

    /// <summary>
    /// The rule, apart from the file system: refused when group or others may write (<paramref name="mode"/>), or when
    /// the caller does not own the directory. No mode (Windows, or a runtime that cannot read one) passes.
    /// </summary>
    public static string? Judge(int? mode, bool isOwner)
    {
        if (mode is not { } bits)
        {
            return null;
        }

        if ((bits & UnixPermissions.WritableByOthers) != 0)
        {
            return "it is writable by other users";
        }

        return isOwner ? null : "it belongs to another user";
    }

    /// <summary>
    /// Whether this process owns <paramref name="directory"/>: setting a mode succeeds for the owner (and root) only,
    /// and setting the mode it already has changes nothing.
    /// </summary>
    private static bool IsOwner(string directory, int mode)
    {
        try
        {
            UnixPermissions.SetMode(directory, mode);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
