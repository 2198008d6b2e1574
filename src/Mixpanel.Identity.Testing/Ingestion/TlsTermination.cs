using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Mixpanel.Identity.Testing.Ingestion;

/// <summary>
/// HTTPS for the bare Kestrel the server runs: each connection's TLS handshake and encryption, as a connection middleware.
/// Kestrel's own <c>UseHttps</c> needs the services of a full ASP.NET Core host, which the server does without.
/// </summary>
internal static class TlsTermination
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    public static void Use(ListenOptions listen, X509Certificate2 certificate)
    {
        var authentication = new SslServerAuthenticationOptions
        {
            ServerCertificate = certificate,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            ClientCertificateRequired = false,
        };
        listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            var tls = new SslStream(new DuplexStream(transport.Input.AsStream(), transport.Output.AsStream()), leaveInnerStreamOpen: false);
            await using (tls.ConfigureAwait(false))
            {
                // A handshake is bounded in real time whatever clock the tests give the server.
                using (var bound = new CancellationTokenSource(HandshakeTimeout, TimeProvider.System))
                using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, bound.Token))
                {
                    try
                    {
                        await tls.AuthenticateAsServerAsync(authentication, handshake.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
                    {
                        // Not TLS, a client that does not trust the certificate, or one that went away: close the connection.
                        return;
                    }
                }

                connection.Transport = new TlsPipe(
                    PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true)),
                    PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true)));
                try
                {
                    await next(connection).ConfigureAwait(false);
                }
                finally
                {
                    connection.Transport = transport;
                }
            }
        });
    }

    private sealed class TlsPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }

    /// <summary>The connection's two pipes as the one stream <see cref="SslStream"/> reads and writes.</summary>
    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            input.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            input.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            output.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            output.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => output.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await input.DisposeAsync().ConfigureAwait(false);
            await output.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The certificate a server started with HTTPS presents: self-signed, for 127.0.0.1 and localhost.</summary>
internal static class LoopbackCertificate
{
    public static X509Certificate2 Create()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Mixpanel.Identity.Testing local server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));

        // Clients check validity on their own clocks, so this is real time, never the server's injected clock.
        var now = TimeProvider.System.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        // Loaded again from PKCS#12 so that the private key is one SslStream can use on every platform.
        return new X509Certificate2(created.Export(X509ContentType.Pkcs12));
    }
}
