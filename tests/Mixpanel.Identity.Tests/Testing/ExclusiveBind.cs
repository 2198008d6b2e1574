using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>
/// Binds a TCP port on 127.0.0.1 the strict way, straight through libc: without <c>SO_REUSEADDR</c>, which .NET sockets
/// always set on Linux and which lets them share a port with any socket that is bound but not listening. A strict bind
/// fails exactly when the kernel would keep the port from a socket asking for a free one.
/// </summary>
internal static partial class ExclusiveBind
{
    private const int AddressFamilyInet = 2;
    private const int SocketStream = 1;

    /// <summary>Whether nothing else holds <paramref name="port"/>.</summary>
    public static bool TryBind(int port)
    {
        var fd = Socket(AddressFamilyInet, SocketStream, 0);
        if (fd < 0)
        {
            throw new InvalidOperationException($"socket() failed with errno {Marshal.GetLastPInvokeError()}.");
        }

        try
        {
            // struct sockaddr_in: family (host order), port (network order), address 127.0.0.1, eight bytes of padding.
            var address = new byte[16];
            BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)AddressFamilyInet);
            BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2, 2), (ushort)port);
            address[4] = 127;
            address[7] = 1;
            return Bind(fd, address, address.Length) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    private static partial int Bind(int fd, byte[] address, int length);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
