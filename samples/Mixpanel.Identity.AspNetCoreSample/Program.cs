// A shop whose page runs Mixpanel's browser library (npm's mixpanel-browser) while the server tracks sign-up, login,
// purchase and logout with Mixpanel.Identity.AspNetCore. Server events continue the browser library's anonymous id, so
// one person's browser and server events land on one Mixpanel user. Without a project token it sends to a Mixpanel
// ingestion server embedded in the sample: /identity shows how Mixpanel will resolve every event, and the timeline is
// printed when the site stops (Ctrl+C).
//
//   dotnet run --project samples/Mixpanel.Identity.AspNetCoreSample [-- --Mixpanel:IdMerge=Simplified]
//   Mixpanel__ProjectToken=<token> dotnet run --project samples/Mixpanel.Identity.AspNetCoreSample   (your own project)
using Mixpanel.Identity.AspNetCoreSample;

await using var site = await SampleSite.StartAsync(args);
Console.WriteLine($"The shop is open at {site.Address} ({site.IdMerge} ID Merge). Sign up, buy, log out, sign up as someone else; stop with Ctrl+C.");
await site.App.WaitForShutdownAsync();

if (site.IdentityTimeline() is { } timeline)
{
    Console.WriteLine();
    Console.WriteLine(timeline);
}
