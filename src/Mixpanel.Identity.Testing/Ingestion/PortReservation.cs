using System.Net;
using System.Net.Sockets;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// Holds a stopped server's port: a socket bound to it that never listens. Connections to the port are refused, as they are
/// to a server that is down, and the operating system does not hand the port to anything that asks for a free one, so a
/// client still retrying against the stopped server does not reach another test's server that started meanwhile. It does
/// not stop a program that binds this exact port on purpose with address reuse (as .NET sockets on Linux always do).
/// </summary>
internal sealed class PortReservation : IDisposable
{
    private readonly Socket _socket;

    private PortReservation(Socket socket)
    {
        _socket = socket;
    }

    /// <summary>Binds <paramref name="port"/> on 127.0.0.1, or returns null if something else took it already.</summary>
    public static PortReservation? TryTake(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return new PortReservation(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    public void Dispose() => _socket.Dispose();
}
