// The story of an app whose accounts (one per phone number) each have a solo and a partner profile:
// anonymous browsing, sign-up, switching profiles, logout, a second person on the same device, and the first
// person coming back on a new device. By default it sends to a Mixpanel ingestion server embedded in the sample and
// prints how Mixpanel will resolve every event; with MIXPANEL_TOKEN set it sends to your Mixpanel project instead.
//
//   dotnet run --project samples/Mixpanel.Identity.Sample [-- --simplified] [--without-reset] [--html timeline.html]
using Mixpanel.Identity;
using Mixpanel.Identity.Testing;

var idMerge = args.Contains("--simplified") ? IdMergeApi.Simplified : IdMergeApi.Original;
var withoutReset = args.Contains("--without-reset");
var htmlIndex = Array.IndexOf(args, "--html");
var htmlPath = htmlIndex >= 0 && htmlIndex + 1 < args.Length ? args[htmlIndex + 1] : null;

var token = Environment.GetEnvironmentVariable("MIXPANEL_TOKEN");
await using var localServer = string.IsNullOrEmpty(token) ? await LocalMixpanelServer.StartAsync() : null;
var apiHost = localServer?.BaseAddress
    ?? (MixpanelApiHosts.TryParse(Environment.GetEnvironmentVariable("MIXPANEL_API_HOST"), out var configured) ? configured : MixpanelApiHosts.UnitedStates);

// Each device keeps its identity in its own storage directory; a fresh run starts with fresh devices.
var storage = Path.Combine(Path.GetTempPath(), "mixpanel-identity-sample", Guid.NewGuid().ToString("N"));
var devices = new List<MixpanelClient>();
MixpanelClient NewDevice(string name)
{
    var device = new MixpanelClient(new MixpanelOptions
    {
        ProjectToken = string.IsNullOrEmpty(token) ? "sample-project-token" : token,
        ApiHost = apiHost,
        IdMerge = idMerge,
        StorageDirectory = Path.Combine(storage, name),
    });
    devices.Add(device);
    return device;
}

Console.WriteLine($"Sending to {(localServer is null ? apiHost : "an embedded local Mixpanel server")} ({idMerge} ID Merge).");
Console.WriteLine();

var phone = NewDevice("sams-phone");
await Step("Sam installs the app and browses before signing up (anonymous).", phone, app =>
{
    app.Track("Viewed Onboarding");
    app.Track("Viewed Pricing", new Dictionary<string, object?> { ["plan"] = "family" });
});

await Step("Sam signs up with a phone number: Identify with the account id (never the phone number, which can change).", phone, app =>
{
    app.Identify("acct-1001");
    app.People.Set(new Dictionary<string, object?>
    {
        ["phone_number"] = "+1 555 0100 001",
        ["registration_date"] = DateTime.UtcNow,
    });
    app.Register(new Dictionary<string, object?> { ["account_id"] = "acct-1001" });
    app.Track("Signed Up");
});

foreach (var (profile, kind) in new[] { ("profile-sam-solo", "solo"), ("profile-sam-partner", "partner"), ("profile-sam-solo", "solo") })
{
    await Step($"Sam switches to the {kind} profile: a super property and a profile property, no Reset.", phone, app =>
    {
        app.Register(new Dictionary<string, object?> { ["active_profile_id"] = profile, ["active_profile_kind"] = kind });
        app.People.Set(new Dictionary<string, object?> { ["active_profile_id"] = profile, ["active_profile_kind"] = kind });
        app.Track("Switched Profile");
        app.Track("Viewed Feed");
    });
}

await Step(withoutReset
        ? "Sam logs out, and the app forgets to call Reset (a mistake, to show what Mixpanel makes of it)."
        : "Sam logs out: Reset, so the next person on this phone gets a new device id.", phone, app =>
{
    app.Track("Logged Out");
    if (!withoutReset)
    {
        app.Reset();
    }
});

await Step("Alex signs in to another account on the same phone.", phone, app =>
{
    app.Track("Viewed Login");
    app.Identify("acct-2002");
    app.People.Set("phone_number", "+1 555 0100 002");
    app.Track("Viewed Feed");
});

var tablet = NewDevice("sams-tablet");
await Step("Sam comes back on a new tablet: browses, then logs in (Identify again with the same account id).", tablet, app =>
{
    app.Track("Viewed Onboarding");
    app.Identify("acct-1001");
    app.Track("Viewed Feed");
});

foreach (var device in devices)
{
    await device.DisposeAsync();
}

if (localServer is null)
{
    Console.WriteLine($"Sent {devices.Sum(d => d.Diagnostics.Sent)} records to your Mixpanel project; open its Events view to see them.");
    return;
}

var resolution = localServer.Resolve(idMerge);
Console.WriteLine("What Mixpanel will make of it:");
Console.WriteLine();
Console.WriteLine(resolution.ToMarkdown());
Console.WriteLine($"{resolution.Clusters.Count} people: {string.Join(", ", resolution.Clusters.Select(c => $"{c.CanonicalId} ({c.Ids.Count} ids)"))}.");
Console.WriteLine(resolution.Findings.Count == 0
    ? "No findings: every event is attributed to the right person."
    : $"{resolution.Findings.Count} finding(s): see above.");
if (htmlPath is not null)
{
    await File.WriteAllTextAsync(htmlPath, resolution.ToHtml());
    Console.WriteLine($"The timeline as HTML: {Path.GetFullPath(htmlPath)}");
}

try
{
    Directory.Delete(storage, recursive: true);
}
catch (IOException)
{
    // Left in the temp folder.
}

async Task Step(string narration, MixpanelClient device, Action<MixpanelClient> act)
{
    act(device);
    await device.FlushAsync();
    Console.WriteLine($"- {narration}");
    Console.WriteLine($"    distinct_id={device.DistinctId}  $user_id={device.UserId ?? "(none)"}");
}
