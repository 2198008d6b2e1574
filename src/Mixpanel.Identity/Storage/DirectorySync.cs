using System.Runtime.InteropServices;

namespace Mixpanel.Identity.Storage;

/// <summary>
/// Makes a directory's entries durable: after a file is created or renamed into it, a power loss could otherwise lose
/// the new name although the file's bytes were flushed. Unix only (fsync on the directory); NTFS journals names itself.
/// Best effort: a directory that cannot be synced leaves the file as durable as before.
/// </summary>
internal static partial class DirectorySync
{
    public static void Flush(string directory)
    {
        if (!UnixPermissions.IsUnix)
        {
            return;
        }

        try
        {
            var descriptor = NativeMethods.Open(directory, 0 /* O_RDONLY */);
            if (descriptor < 0)
            {
                return;
            }

            _ = NativeMethods.Fsync(descriptor);
            _ = NativeMethods.Close(descriptor);
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            // A platform without a C library by that name: nothing more can be done.
        }
    }

    private static partial class NativeMethods
    {
#if NET
        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
        public static partial int Open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync")]
        public static partial int Fsync(int descriptor);

        [LibraryImport("libc", EntryPoint = "close")]
        public static partial int Close(int descriptor);
#else
        [DllImport("libc", EntryPoint = "open", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        public static extern int Open(string path, int flags);

        [DllImport("libc", EntryPoint = "fsync")]
        public static extern int Fsync(int descriptor);

        [DllImport("libc", EntryPoint = "close")]
        public static extern int Close(int descriptor);
#endif
    }
}
