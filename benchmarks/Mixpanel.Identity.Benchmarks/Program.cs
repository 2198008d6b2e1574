using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Mixpanel.Identity;
using Mixpanel.Identity.Benchmarks;
using Mixpanel.Identity.Testing;

// dotnet run -c Release --project benchmarks/Mixpanel.Identity.Benchmarks [-- --quick] [--events N] [--rounds N] [--only track|track-loop|disk-full|e2e|import|idle|coldstart|flags]
var quick = args.Contains("--quick");
var events = ReadOption("--events") is { } given ? int.Parse(given, CultureInfo.InvariantCulture) : quick ? 200_000 : 1_000_000;
var only = ReadOption("--only");
if (only == "flags")
{
    // One local flag evaluation beside the official node library's, asked for by name only.
    await FlagEvaluation.RunAsync(quick);
    return;
}

var batchSize = new MixpanelOptions().BatchSize;
var inFlight = 1; // the client puts one request on the wire at a time; the reference does the same

// Rounds of the client then the reference, each figure the median of its rounds: on this shared 2-core machine one
// run of either can be a quarter off the next.
var rounds = ReadOption("--rounds") is { } givenRounds ? int.Parse(givenRounds, CultureInfo.InvariantCulture) : 3;
EndToEndResult? client = null;
EndToEndResult? reference = null;
double? peakMegabytes = null;
if (only is null or "e2e")
{
    await using var server = await LocalMixpanelServer.StartAsync(EndToEnd.ServerOptions());
    var batches = BenchmarkEvents.GzippedBatches(count: 200, batchSize);

    // Warm-up, not measured: until the JIT has tiered up the client's and the server's code, the reference runs at a
    // fraction of its speed. The tier-up of what the warm-up made hot queues behind the busy cores; a pause lets it finish.
    var warmUp = quick ? 200_000 : 300_000;
    await EndToEnd.RunClientAsync(server, warmUp);
    await EndToEnd.RunReferenceAsync(server, warmUp, batches, batchSize, inFlight);
    await Task.Delay(TimeSpan.FromSeconds(2));

    var clientRuns = new List<EndToEndResult>();
    var referenceRuns = new List<EndToEndResult>();
    var peakIsOwn = true;
    Console.WriteLine();
    Console.WriteLine($"End to end, {events:N0} events per run, batches of {batchSize}, {inFlight} request on the wire at a time:");
    for (var round = 1; round <= rounds; round++)
    {
        // The peak is the client's alone: it starts afresh from what is resident before each of its runs.
        GC.Collect();
        peakIsOwn &= PeakMemory.TryReset();
        var run = await EndToEnd.RunClientAsync(server, events);
        peakMegabytes = Math.Max(peakMegabytes ?? 0, PeakMemory.PeakMegabytes());
        clientRuns.Add(run);
        Console.WriteLine($"  {round}  client    {run.EventsPerSecond,10:N0} events/s  ({run.Elapsed.TotalSeconds:F2} s, {run.CpuPerEvent.TotalMicroseconds:F1} µs of CPU per event; dropped {run.Dropped}, retried {run.Retried}, rejected by the server {run.ServerRejected}, longest Track {run.LongestTrack.TotalMilliseconds:F1} ms; the last Track returned at {run.Tracked.TotalSeconds:F2} s with {run.SentWhenTracked:N0} delivered, then {run.SentPerSecondAfterTracking:N0} events/s)");

        run = await EndToEnd.RunReferenceAsync(server, events, batches, batchSize, inFlight);
        referenceRuns.Add(run);
        Console.WriteLine($"  {round}  reference {run.EventsPerSecond,10:N0} events/s  ({run.Elapsed.TotalSeconds:F2} s, {run.CpuPerEvent.TotalMicroseconds:F1} µs of CPU per event)");
    }

    client = Median(clientRuns);
    reference = Median(referenceRuns);
    Console.WriteLine($"  median: client {client.Value.EventsPerSecond:N0} events/s, reference {reference.Value.EventsPerSecond:N0} events/s, ratio {client.Value.EventsPerSecond / reference.Value.EventsPerSecond:F2}");
    Console.WriteLine($"  dropped by the client in all runs: {clientRuns.Sum(static r => r.Dropped)}");
    Console.WriteLine($"  peak working set during the client's runs {peakMegabytes:F1} MB{(peakIsOwn ? "" : " (since the process started)")}");
}

EndToEndResult? imported = null;
EndToEndResult? importReference = null;
EndToEndResult? importBare = null;
if (only is null or "import")
{
    // History through /import: requests of 2,000 events, a few on the wire at once; the reference posts the same shape.
    await using var server = await LocalMixpanelServer.StartAsync(Import.ServerOptions());
    var bodies = Import.GzippedBodies(count: 20);
    var pool = Import.EventPool(bodies: 20);
    await Import.RunClientAsync(server, 200_000, pool);
    await Import.RunReferenceAsync(server, 200_000, bodies);
    await Task.Delay(TimeSpan.FromSeconds(2));

    var clientRuns = new List<EndToEndResult>();
    var bareRuns = new List<EndToEndResult>();
    var referenceRuns = new List<EndToEndResult>();
    Console.WriteLine();
    Console.WriteLine($"Import, {events:N0} historical events per run, requests of 2,000, {Mixpanel.Identity.Delivery.BulkImporter.Concurrency} on the wire at a time:");
    for (var round = 1; round <= rounds; round++)
    {
        var run = await Import.RunClientAsync(server, events, pool);
        clientRuns.Add(run);
        Console.WriteLine($"  {round}  ImportAsync {run.EventsPerSecond,10:N0} events/s  ({run.Elapsed.TotalSeconds:F2} s, {run.CpuPerEvent.TotalMicroseconds:F1} µs of CPU per event)");
        run = await Import.RunBareAsync(server, events, pool);
        bareRuns.Add(run);
        Console.WriteLine($"  {round}  bare        {run.EventsPerSecond,10:N0} events/s  ({run.Elapsed.TotalSeconds:F2} s, {run.CpuPerEvent.TotalMicroseconds:F1} µs of CPU per event)");
        run = await Import.RunReferenceAsync(server, events, bodies);
        referenceRuns.Add(run);
        Console.WriteLine($"  {round}  reference   {run.EventsPerSecond,10:N0} events/s  ({run.Elapsed.TotalSeconds:F2} s, {run.CpuPerEvent.TotalMicroseconds:F1} µs of CPU per event)");
    }

    imported = Median(clientRuns);
    importReference = Median(referenceRuns);
    Console.WriteLine($"  median: ImportAsync {imported.Value.EventsPerSecond:N0} events/s, reference {importReference.Value.EventsPerSecond:N0} events/s, ratio {imported.Value.EventsPerSecond / importReference.Value.EventsPerSecond:F2}");
    importBare = Median(bareRuns);
    Console.WriteLine($"  median: bare importer {importBare.Value.EventsPerSecond:N0} events/s, ratio {importBare.Value.EventsPerSecond / importReference.Value.EventsPerSecond:F2} (what writing, hashing and gzipping alone leave)");
}

long? idleSwitches = null;
long? idleReference = null;
if (only is "idle" || (only is null && !quick))
{
    // Idle means idle: an app that tracks nothing for a while pays (almost) nothing for the client.
    var period = TimeSpan.FromSeconds(10);
    (idleSwitches, idleReference) = await Idle.MeasureAsync(period);
    Console.WriteLine();
    Console.WriteLine($"Idle for {period.TotalSeconds:F0} s: {idleSwitches} context switches with a client, {idleReference} with only an HttpClient");
}

if (only is "track-loop")
{
    // Track timed call by call: 16,000 calls a round (the benchmark's iteration), the mean and the single longest call.
    foreach (var storage in new[] { StorageMode.Disk, StorageMode.Memory })
    {
        var loop = await TrackLoop.RunAsync(storage, TrackBenchmarks.InvocationsPerIteration, rounds: ReadOption("--rounds") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 5);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Track loop, Storage = {loop.Storage}: {loop.Calls:N0} calls, mean {loop.MeanNanoseconds:F0} ns, longest {loop.Longest.TotalMilliseconds:F2} ms ({loop.LongestWithoutCollection.TotalMilliseconds:F2} ms without a collection), {loop.OverOneMillisecond} over 1 ms; {loop.Runtime}; reference mean {loop.ReferenceMeanNanoseconds:F0} ns (ratio {loop.MeanNanoseconds / loop.ReferenceMeanNanoseconds:F2})"));
    }
}

if (only is "disk-full")
{
    // Track unpaced for 20 s while the storage disk is full, then the disk freed and what was kept delivered.
    if (await DiskFull.RunAsync(TimeSpan.FromSeconds(20)) is { } full)
    {
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Disk full for {full.Period.TotalSeconds:F0} s: {full.Calls:N0} Track calls, mean {full.MeanNanoseconds:F0} ns, longest {full.Longest.TotalMilliseconds:F2} ms; {full.Dropped:N0} dropped and counted, {full.Delivered:N0} delivered after the disk was freed, {full.WarningLines} warning lines"));
    }
}

double? coldStartMs = null;
double? coldStartReferenceMs = null;
if (only is "coldstart" || (only is null && !quick))
{
    // A new process per measurement: the constructor and the first Track as an app's start-up thread meets them.
    // Its processes are built first, a build of the whole library: on a busy 2-core machine that can take minutes.
    var cold = BenchmarkRunner.Run<ColdStart>(DefaultConfig.Instance.WithOptions(ConfigOptions.DisableLogFile).WithBuildTimeout(TimeSpan.FromMinutes(10)));
    coldStartMs = Figures(cold, nameof(ColdStart.ConstructorAndFirstTrack)).Nanoseconds / 1e6;
    coldStartReferenceMs = Figures(cold, nameof(ColdStart.BareHttpClient)).Nanoseconds / 1e6;
    Console.WriteLine();
    Console.WriteLine($"Cold start: constructor and first Track {coldStartMs:F1} ms, a bare HttpClient {coldStartReferenceMs:F1} ms (means of new processes)");
}

Summary? summary = null;
if (only is null or "track")
{
    var job = (quick
            ? Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(15)
            : Job.Default)
        .WithInvocationCount(TrackBenchmarks.InvocationsPerIteration)
        .WithUnrollFactor(16);
    summary = BenchmarkRunner.Run<TrackBenchmarks>(DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableLogFile));
}

var (trackNs, trackBytes) = Figures(summary, nameof(TrackBenchmarks.Track));
var (referenceNs, referenceBytes) = Figures(summary, nameof(TrackBenchmarks.Reference));
if (summary is not null)
{
    Console.WriteLine();
    Console.WriteLine("Track on the caller's thread:");
    Console.WriteLine($"  Track     {trackNs,8:F1} ns/op {trackBytes,6} B/op");
    Console.WriteLine($"  reference {referenceNs,8:F1} ns/op {referenceBytes,6} B/op");
}

Console.WriteLine(string.Create(
    CultureInfo.InvariantCulture,
    $"track_ns={trackNs:F1} track_ratio={trackNs / referenceNs:F2} e2e_events_per_s={client?.EventsPerSecond:F0} e2e_ratio={client?.EventsPerSecond / reference?.EventsPerSecond:F2} peak_mb={peakMegabytes:F1}"));
if (imported is not null)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"import_events_per_s={imported.Value.EventsPerSecond:F0} import_ratio={imported.Value.EventsPerSecond / importReference!.Value.EventsPerSecond:F2} import_bare_ratio={importBare!.Value.EventsPerSecond / importReference.Value.EventsPerSecond:F2}"));
}

if (coldStartMs is not null)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"coldstart_ms={coldStartMs:F1} coldstart_reference_ms={coldStartReferenceMs:F1} coldstart_ratio={coldStartMs / coldStartReferenceMs:F1}"));
}

if (idleSwitches is not null)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle_switches_10s={idleSwitches} idle_reference_10s={idleReference}"));
}

string? ReadOption(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

static EndToEndResult Median(List<EndToEndResult> runs) => runs.OrderBy(static r => r.EventsPerSecond).ElementAt(runs.Count / 2);

static (double Nanoseconds, long? Bytes) Figures(Summary? summary, string method)
{
    var report = summary?.Reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method);
    if (report?.ResultStatistics is null)
    {
        return (double.NaN, null);
    }

    return (report.ResultStatistics.Mean, report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase));
}
