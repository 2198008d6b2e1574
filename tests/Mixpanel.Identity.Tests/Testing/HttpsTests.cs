using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class HttpsTests
{
    [Fact]
    public async Task StartAsync_UseHttps_ServesHttpsWithALoopbackCertificate()
    {
        await using var server = await StartAsync();
        using var http = TrustingClient(server);

        using var response = await http.PostAsync("/track", new StringContent(SampleRecords.Batch(SampleRecords.Event()), Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.BaseAddress.Scheme.Should().Be("https");
        server.Records.Should().ContainSingle();
        var names = server.Certificate!.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        names.EnumerateIPAddresses().Should().Contain(IPAddress.Loopback);
        names.EnumerateDnsNames().Should().Contain("localhost");
        server.Certificate.HasPrivateKey.Should().BeTrue();
    }

    [Fact]
    public async Task UseHttps_ClientThatDoesNotTrustTheCertificate_IsRefusedAndTheServerCarriesOn()
    {
        await using var server = await StartAsync();
        using var untrusting = new HttpClient { BaseAddress = server.BaseAddress };
        using var plain = new HttpClient { BaseAddress = new Uri("http://" + server.BaseAddress.Authority) };
        using var trusting = TrustingClient(server);

        var refused = () => untrusting.GetAsync("/track?data=" + RequestShapeTests.Base64(SampleRecords.Event().ToJsonString()));
        var notTls = () => plain.GetAsync("/track?data=" + RequestShapeTests.Base64(SampleRecords.Event().ToJsonString()));
        await refused.Should().ThrowAsync<HttpRequestException>();
        await notTls.Should().ThrowAsync<HttpRequestException>();
        using var accepted = await trusting.GetAsync("/track?data=" + RequestShapeTests.Base64(SampleRecords.Event().ToJsonString()));

        accepted.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Records.Should().ContainSingle();
    }

    [Fact]
    public async Task RestartAsync_UseHttps_KeepsTheCertificateAndScheme()
    {
        await using var server = await StartAsync();
        var certificate = server.Certificate;

        await server.RestartAsync();
        using var http = TrustingClient(server);
        using var response = await http.GetAsync("/engage?data=" + RequestShapeTests.Base64(SampleRecords.ProfileSet().ToJsonString()));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        server.Certificate.Should().BeSameAs(certificate);
    }

    [Fact]
    public async Task StartAsync_WithoutHttps_HasNoCertificate()
    {
        await using var server = await LocalMixpanelServer.StartAsync();

        server.Certificate.Should().BeNull();
        server.BaseAddress.Scheme.Should().Be("http");
    }

    private static Task<LocalMixpanelServer> StartAsync() =>
        LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { UseHttps = true, TimeProvider = SampleRecords.Clock() });

    // Trusts exactly the server's own certificate.
    private static HttpClient TrustingClient(LocalMixpanelServer server)
    {
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.Thumbprint == server.Certificate!.Thumbprint,
        };
        return new HttpClient(handler) { BaseAddress = server.BaseAddress };
    }
}
