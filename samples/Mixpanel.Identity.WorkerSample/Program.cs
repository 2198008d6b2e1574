// A worker that tracks what it does through an IMixpanelClient from dependency injection. The host's stop delivers
// whatever is still queued (within ShutdownTimeout). With MIXPANEL_TOKEN set it sends to your project; otherwise to a
// Mixpanel ingestion server embedded in the sample, whose received records it prints at the end.
//
//   dotnet run --project samples/Mixpanel.Identity.WorkerSample
using Mixpanel.Identity.Testing;
using Mixpanel.Identity.WorkerSample;

var builder = Host.CreateApplicationBuilder(args);

var token = Environment.GetEnvironmentVariable("MIXPANEL_TOKEN");
await using var localServer = string.IsNullOrEmpty(token) ? await LocalMixpanelServer.StartAsync() : null;
if (!string.IsNullOrEmpty(token))
{
    builder.Configuration["Mixpanel:ProjectToken"] = token;
}

var apiHost = localServer?.BaseAddress.ToString() ?? Environment.GetEnvironmentVariable("MIXPANEL_API_HOST");
if (apiHost is not null)
{
    builder.Configuration["Mixpanel:ApiHost"] = apiHost;
}

builder.Configuration["Mixpanel:StorageDirectory"] = Path.Combine(Path.GetTempPath(), "mixpanel-identity-worker-sample");

builder.Services.AddMixpanel(builder.Configuration.GetSection("Mixpanel"));
builder.Services.AddHostedService<ReportWorker>();

using (var host = builder.Build())
{
    await host.RunAsync();
}

if (localServer is not null)
{
    Console.WriteLine($"The local server received {localServer.DeduplicatedRecords.Count} records:");
    foreach (var record in localServer.DeduplicatedRecords)
    {
        Console.WriteLine($"  {record.Endpoint,-6} {record.EventName ?? "(profile update)",-16} distinct_id={record.DistinctId}");
    }
}
