using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// One listening period of the server: a bare Kestrel (no host, no DI, no middleware but TLS when asked) on 127.0.0.1, handing every request
/// straight to the handler. Stopping first cancels the token handed to requests, which releases requests held by faults, so
/// Kestrel's graceful stop finishes promptly.
/// </summary>
internal sealed class KestrelListener : IAsyncDisposable
{
    // A bound on how long a stop waits for in-flight requests before Kestrel aborts their connections.
    private static readonly TimeSpan GracefulStopTimeout = TimeSpan.FromSeconds(5);

    private const int MaxRequestLineBytes = 256 * 1024;

    private readonly KestrelServer _server;
    private readonly CancellationTokenSource _stopping = new();
    private int _stopped;

    private KestrelListener(KestrelServer server)
    {
        _server = server;
    }

    public int Port { get; private set; }

    public static async Task<KestrelListener> StartAsync(
        int port,
        X509Certificate2? certificate,
        Func<HttpContext, CancellationToken, Task> handle,
        CancellationToken cancellationToken)
    {
        var options = new KestrelServerOptions { AddServerHeader = false };

        // The handler reads bodies itself, with Mixpanel's limit, and answers 413 the way Mixpanel does.
        options.Limits.MaxRequestBodySize = null;

        // A GET carries its records in the URL (data=<base64>): room for a record of some size, beyond Kestrel's 8 KB.
        options.Limits.MaxRequestLineSize = MaxRequestLineBytes;
        options.Limits.MaxRequestHeadersTotalSize = MaxRequestLineBytes + (32 * 1024);
        options.Listen(IPAddress.Loopback, port, listen =>
        {
            if (certificate is not null)
            {
                TlsTermination.Use(listen, certificate);
            }
        });

        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        var listener = new KestrelListener(new KestrelServer(Options.Create(options), transport, NullLoggerFactory.Instance));
        try
        {
            await listener._server.StartAsync(new Application(handle, listener._stopping.Token), cancellationToken).ConfigureAwait(false);
            var address = listener._server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel did not report the address it bound.");
            listener.Port = new Uri(address).Port;
            return listener;
        }
        catch
        {
            listener._server.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        // Stopping the server takes real time whatever clock the tests give it: a fake one would never end the grace.
        using var timeout = new CancellationTokenSource(GracefulStopTimeout, TimeProvider.System);
        try
        {
            await _server.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            // _stopping stays undisposed: a request Kestrel gave up on may still be unwinding with its token.
            _server.Dispose();
        }
    }

    private sealed class Application(Func<HttpContext, CancellationToken, Task> handle, CancellationToken stopping)
        : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

        public Task ProcessRequestAsync(HttpContext context) => handle(context, stopping);

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }
}
