using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using FluentAssertions;
using Mixpanel.Identity.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Mixpanel.Identity.Tests.Testing;

public sealed class ThroughputTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Track_ManyGzippedBatchesWithoutRetention_CountsEveryEvent()
    {
        const int Batches = 400;
        const int BatchSize = 50;
        await using var server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions
        {
            ProjectToken = SampleRecords.Token,
            RetainRecords = false,
            TimeProvider = SampleRecords.Clock(),
        });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var bodies = Enumerable.Range(0, 8)
            .Select(_ => RawPoster.Gzip(Encoding.UTF8.GetBytes(SampleRecords.Batch(Enumerable.Range(0, BatchSize).Select(i => SampleRecords.Event("E" + i)).ToArray()))))
            .ToArray();

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(sender => Task.Run(async () =>
        {
            for (var i = 0; i < Batches / 2; i++)
            {
                using var content = new ByteArrayContent(bodies[(i + sender) % bodies.Length]);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                content.Headers.ContentEncoding.Add("gzip");
                using var response = await http.PostAsync("/track", content);
                response.EnsureSuccessStatusCode();
            }
        })));
        watch.Stop();

        server.AcceptedRecordCount.Should().Be(Batches * BatchSize);
        server.ReceivedRequestCount.Should().Be(Batches);
        server.Records.Should().BeEmpty();

        // A rough figure for the record, never an assertion: it depends on the machine and what else runs.
        output.WriteLine($"{Batches * BatchSize} events in {watch.Elapsed.TotalMilliseconds:F0} ms ≈ {Batches * BatchSize / watch.Elapsed.TotalSeconds:N0} events/s");
    }
}
