using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>
/// A tiny HTTP/1.1 server on loopback for answers the local Mixpanel server does not give (a body that stalls, odd success bodies): each request is answered by a script that returns the raw
/// response bytes, or null to send only <see cref="StallHead"/> and then hold the connection open forever.
/// </summary>
internal sealed class ScriptedHttpServer : IAsyncDisposable
{
    public const string StallHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, string?> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private int _requests;

    public ScriptedHttpServer(Func<int, string?> script)
    {
        _script = script;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public int Requests => Volatile.Read(ref _requests);

    public static string Response(int status, string body, string reason = "X") =>
        $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception)
            {
                return;
            }

            _ = HandleAsync(client);
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        try
        {
            var stream = client.GetStream();
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one, _stop.Token) == 0)
                {
                    return;
                }

                head.Append((char)one[0]);
            }

            var length = 0;
            foreach (var line in head.ToString().Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            var body = new byte[length];
            var read = 0;
            while (read < length)
            {
                read += await stream.ReadAsync(body.AsMemory(read), _stop.Token);
            }

            var index = Interlocked.Increment(ref _requests) - 1;
            var response = _script(index);
            if (response is null)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(StallHead), _stop.Token);
                await stream.FlushAsync(_stop.Token);
                lock (_held)
                {
                    _held.Add(client);
                }

                return;
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes(response), _stop.Token);
            await stream.FlushAsync(_stop.Token);
            client.Dispose();
        }
        catch (Exception)
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_held)
        {
            foreach (var held in _held)
            {
                held.Dispose();
            }
        }

        _stop.Dispose();
    }
}
