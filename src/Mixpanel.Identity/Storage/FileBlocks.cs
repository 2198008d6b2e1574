using System.Runtime.InteropServices;

namespace Mixpanel.Identity.Storage;

/// <summary>
/// Gives a file real blocks on disk. A file that is memory-mapped must never be sparse: the first write to a page
/// with no block behind it, on a full disk, raises SIGBUS, which kills the process and cannot be caught. With the
/// blocks taken first, a full disk is an <see cref="IOException"/> at this call instead.
/// </summary>
internal static partial class FileBlocks
{
    private const int NotSupported = 95; // EOPNOTSUPP (Linux): the file system cannot preallocate.
    private const int InvalidArgument = 22; // EINVAL: likewise, on some file systems.

    /// <summary>Makes <paramref name="file"/> at least <paramref name="length"/> bytes long, every byte backed by a block.</summary>
    /// <exception cref="IOException">The disk has no room for them.</exception>
    public static void Allocate(FileStream file, long length)
    {
        if (UnixPermissions.IsUnix && TryPreallocate(file, length))
        {
            return;
        }

        // Elsewhere, or where the file system cannot preallocate: zeros written past the end take real blocks. What is
        // before the end is left as it is (another process may be using it).
        var existing = file.Length;
        if (existing >= length)
        {
            return;
        }

        file.Position = existing;
        file.Write(new byte[length - existing], 0, (int)(length - existing));
        file.Flush(flushToDisk: true);
    }

    /// <summary>posix_fallocate: blocks for the whole range, holes included, without changing a byte; false where it is not available.</summary>
    private static bool TryPreallocate(FileStream file, long length)
    {
        int error;
        try
        {
            error = NativeMethods.PosixFallocate((int)file.SafeFileHandle.DangerousGetHandle(), 0, length);
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }

        return error switch
        {
            0 => true,
            NotSupported or InvalidArgument => false,
            _ => throw new IOException($"The disk has no room for '{file.Name}' (error {error})."),
        };
    }

    private static partial class NativeMethods
    {
#if NET
        [LibraryImport("libc", EntryPoint = "posix_fallocate")]
        public static partial int PosixFallocate(int descriptor, long offset, long length);
#else
        [DllImport("libc", EntryPoint = "posix_fallocate")]
        public static extern int PosixFallocate(int descriptor, long offset, long length);
#endif
    }
}
