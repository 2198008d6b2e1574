// Uses Mixpanel.Identity the way apps do, directly and through the host, with Mixpanel answered in-process. Run
// after a trimmed publish, it shows that what the trimmer kept still works: exit code 0 and "ok" when every record
// arrived as Mixpanel would read it.
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mixpanel.Identity;

var storage = Path.Combine(Path.GetTempPath(), "mixpanel-identity-trimcheck", Guid.NewGuid().ToString("N"));
try
{
    var direct = new AnsweringHandler();
    var client = new MixpanelClient(
        new MixpanelOptions { ProjectToken = "trim-check", StorageDirectory = Path.Combine(storage, "direct") },
        new HttpClient(direct));
    await using (client.ConfigureAwait(false))
    {
        client.Track("Signed Up", new Dictionary<string, object?>
        {
            ["plan"] = "pro",
            ["seats"] = 3,
            ["trial"] = false,
            ["started"] = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero),
            ["tags"] = new[] { "a", "b" },
        });
        client.Identify("user-1");
        client.People.Set("name", "Ada");
        await client.FlushAsync().ConfigureAwait(false);
    }

    var hosted = new AnsweringHandler();
    var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { Args = args });
    builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Mixpanel:ProjectToken"] = "trim-check",
        ["Mixpanel:ApiHost"] = "EU",
        ["Mixpanel:IdMerge"] = "Simplified",
        ["Mixpanel:StorageDirectory"] = Path.Combine(storage, "hosted"),
        ["Mixpanel:FlushInterval"] = "01:00:00",
        ["Mixpanel:ShutdownTimeout"] = "00:00:10",
    });
    builder.Services.AddMixpanel(builder.Configuration.GetSection("Mixpanel"));
    builder.Services.AddHttpClient(MixpanelServiceCollectionExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => hosted);
    using (var host = builder.Build())
    {
        await host.StartAsync().ConfigureAwait(false);
        var hostedClient = host.Services.GetRequiredService<IMixpanelClient>();
        hostedClient.Identify("user-2");
        hostedClient.Track("Hosted");

        // The flush on stop delivers; FlushInterval is an hour.
        await host.StopAsync().ConfigureAwait(false);
    }

    var problems = new List<string>();
    Expect(problems, direct, "api.mixpanel.com", "/track", "\"event\":\"Signed Up\"", "\"plan\":\"pro\"", "\"tags\":[\"a\",\"b\"]", "\"event\":\"$identify\"");
    Expect(problems, direct, "api.mixpanel.com", "/engage", "\"$set\":{\"name\":\"Ada\"", "\"$distinct_id\":\"user-1\"");
    Expect(problems, hosted, "api-eu.mixpanel.com", "/track", "\"event\":\"Hosted\"", "\"$user_id\":\"user-2\"");
    if (hosted.Bodies.Any(static b => b.Body.Contains("$identify", StringComparison.Ordinal)))
    {
        problems.Add("Simplified ID Merge, read from configuration, sends no $identify.");
    }

    foreach (var problem in problems)
    {
        Console.Error.WriteLine(problem);
    }

    Console.WriteLine(problems.Count == 0 ? $"ok: {direct.Bodies.Count + hosted.Bodies.Count} requests" : "failed");
    return problems.Count == 0 ? 0 : 1;
}
finally
{
    if (Directory.Exists(storage))
    {
        Directory.Delete(storage, recursive: true);
    }
}

static void Expect(List<string> problems, AnsweringHandler handler, string host, string path, params string[] fragments)
{
    var bodies = handler.Bodies.Where(b => b.Uri.Host == host && b.Uri.AbsolutePath == path).Select(static b => b.Body).ToList();
    foreach (var fragment in fragments)
    {
        if (!bodies.Any(body => body.Contains(fragment, StringComparison.Ordinal)))
        {
            problems.Add($"No request to {host}{path} carried {fragment}; received: {string.Join(" | ", bodies)}");
        }
    }
}

/// <summary>Mixpanel's ingestion API as far as the client needs it: accepts everything and keeps each body.</summary>
internal sealed class AnsweringHandler : HttpMessageHandler
{
    private readonly object _gate = new();
    private readonly List<(Uri Uri, string Body)> _bodies = [];

    public IReadOnlyList<(Uri Uri, string Body)> Bodies
    {
        get
        {
            lock (_gate)
            {
                return [.. _bodies];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var bytes = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (request.Content?.Headers.ContentEncoding.Contains("gzip") == true)
        {
            using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain, cancellationToken).ConfigureAwait(false);
            bytes = plain.ToArray();
        }

        // Bodies are JSON documents; reading them back proves they are well formed.
        using (JsonDocument.Parse(bytes))
        {
        }

        lock (_gate)
        {
            _bodies.Add((request.RequestUri!, Encoding.UTF8.GetString(bytes)));
        }

        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("""{"status":1,"error":null}""", Encoding.UTF8, "application/json"),
        };
    }
}
