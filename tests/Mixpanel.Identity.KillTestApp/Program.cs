// The crash-test app. Usage: <storage directory> <api host> <first number> <mode>
//   mode "track":   prints "device <id>", then tracks "Numbered" events n = first, first + 1, ... forever, and after
//                   every few prints "durable <n>" once every event up to n is on disk. The test kills it at a random
//                   moment. Several may run at once on one directory.
//   mode "deliver": starts on the directory, delivers whatever earlier runs left, prints "clean <counters>", exits.
//   mode "exit":    tracks three events from first, prints "exiting" and returns without disposing the client.
//   mode "exit-stalled": as "exit", on a clock that never moves, so delivery at exit can never finish on its own.
//   mode "start":   starts a client, tracks one event, prints "started durable=<True|False>", disposes it and exits.
using System.Globalization;
using Mixpanel.Identity;

var options = new MixpanelOptions
{
    ProjectToken = "kill-test-token",
    StorageDirectory = args[0],
    ApiHost = new Uri(args[1]),
    FlushInterval = TimeSpan.FromMilliseconds(200),
    PersistInterval = TimeSpan.FromMilliseconds(5),
    BatchSize = 20,
    ShutdownTimeout = TimeSpan.FromSeconds(30),
};
var first = long.Parse(args[2], CultureInfo.InvariantCulture);

var stalled = args[3] == "exit-stalled";
if (stalled)
{
    options.ShutdownTimeout = TimeSpan.FromSeconds(1);
}

var client = new MixpanelClient(options, timeProvider: stalled ? new StoppedClock() : null);
if (args[3] is "exit" or "exit-stalled")
{
    // Returns from Main without disposing the client: what it queued is delivered as the process exits.
    for (var n = first; n < first + 3; n++)
    {
        client.Track("Numbered", new Dictionary<string, object?> { ["n"] = n });
    }

    Console.WriteLine("exiting");
    return 0;
}

await using var owned = client;
if (args[3] == "start")
{
    client.Track("Numbered", new Dictionary<string, object?> { ["n"] = first });
    Console.WriteLine("started durable=" + client.Diagnostics.IsDurable);
    return 0;
}

if (args[3] == "deliver")
{
    using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    await client.FlushAsync(patience.Token);
    var d = client.Diagnostics;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"clean sent={d.Sent} queued={d.Queued} dropped={d.Dropped} corrupt={d.GetDropped(DropReason.Corrupt)}"));
    return 0;
}

Console.WriteLine("device " + client.DeviceId);
for (var n = first; ; n++)
{
    client.Track("Numbered", new Dictionary<string, object?> { ["n"] = n });
    if (n % 7 == 0)
    {
        await client.PersistAsync();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"durable {n}"));
    }
}

/// <summary>A clock whose time never moves and whose timers never fire.</summary>
internal sealed class StoppedClock : TimeProvider
{
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public override long GetTimestamp() => 0;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NeverTimer();

    private sealed class NeverTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
