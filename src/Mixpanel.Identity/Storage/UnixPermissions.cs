using System.Runtime.InteropServices;
#if !NET
using System.Reflection;
#endif

namespace Mixpanel.Identity.Storage;

/// <summary>
/// Unix file modes, read and set the same way on every target. On .NET 7 and later the framework does it; the
/// netstandard2.0 build reaches the same framework methods when it runs there, and falls back to <c>chmod</c> on older
/// runtimes (Mono, Unity), where a mode cannot be read.
/// </summary>
internal static partial class UnixPermissions
{
    public const int OwnerOnlyFile = 0x180; // 0600
    public const int OwnerOnlyDirectory = 0x1C0; // 0700
    public const int WritableByOthers = 0x12; // 0022: group or others may write

    public static bool IsUnix { get; } = !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>The mode of a file or directory; null on Windows, or where the runtime cannot read it.</summary>
    public static int? GetMode(string path)
    {
        if (!IsUnix)
        {
            return null;
        }

#if NET
#pragma warning disable CA1416 // Unix only, checked above.
        return (int)File.GetUnixFileMode(path);
#pragma warning restore CA1416
#else
        return FrameworkMethods.Get is { } get ? Convert.ToInt32(Invoke(get, path), System.Globalization.CultureInfo.InvariantCulture) : null;
#endif
    }

    /// <summary>Sets the mode; nothing on Windows. Throws <see cref="UnauthorizedAccessException"/> when the caller does not own the path.</summary>
    public static void SetMode(string path, int mode)
    {
        if (!IsUnix)
        {
            return;
        }

#if NET
#pragma warning disable CA1416 // Unix only, checked above.
        File.SetUnixFileMode(path, (UnixFileMode)mode);
#pragma warning restore CA1416
#else
        if (FrameworkMethods.Set is { } set)
        {
            Invoke(set, path, Enum.ToObject(set.GetParameters()[1].ParameterType, mode));
        }
        else if (NativeMethods.chmod(path, (uint)mode) != 0)
        {
            throw new UnauthorizedAccessException($"The mode of '{path}' could not be set (errno {Marshal.GetLastWin32Error()}).");
        }
#endif
    }

#if !NET
    private static object? Invoke(MethodInfo method, params object[] arguments)
    {
        try
        {
            return method.Invoke(null, arguments);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is not null)
        {
            throw exception.InnerException;
        }
    }

    /// <summary><c>File.GetUnixFileMode</c> and <c>File.SetUnixFileMode</c>, when this runtime has them (.NET 7 and later).</summary>
    private static class FrameworkMethods
    {
        public static readonly MethodInfo? Get = typeof(File).GetMethod("GetUnixFileMode", [typeof(string)]);

        public static readonly MethodInfo? Set = typeof(File).GetMethods()
            .FirstOrDefault(static m => m.Name == "SetUnixFileMode" && m.GetParameters() is { Length: 2 } p && p[0].ParameterType == typeof(string));
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
#pragma warning disable SA1300, IDE1006 // The C library's own name.
        public static extern int chmod(string path, uint mode);
#pragma warning restore SA1300, IDE1006
    }
#endif
}
