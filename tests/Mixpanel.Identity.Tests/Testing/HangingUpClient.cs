using System.Net;
using System.Net.Sockets;
using System.Text;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Tests.Testing;

/// <summary>
/// A client that posts one request over its own socket and then hangs up with a reset, the way a killed app or a lost network
/// ends a request. The test decides exactly how and when the connection ends, with no connection pool in between.
/// </summary>
internal sealed class HangingUpClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public static async Task<HangingUpClient> PostAsync(LocalMixpanelServer server, string path, string body)
    {
        var client = new HangingUpClient();
        var content = Encoding.UTF8.GetBytes(body);
        var head = Encoding.ASCII.GetBytes(
            $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.BaseAddress.Port}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {content.Length}\r\n\r\n");
        await client._socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.BaseAddress.Port));
        await client._socket.SendAsync(head);
        await client._socket.SendAsync(content);
        return client;
    }

    /// <summary>Closes the connection with a TCP reset instead of a graceful close.</summary>
    public void HangUp()
    {
        _socket.LingerState = new LingerOption(enable: true, seconds: 0);
        _socket.Close();
    }

    public void Dispose() => _socket.Dispose();
}
