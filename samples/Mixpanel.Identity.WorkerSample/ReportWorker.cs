namespace Mixpanel.Identity.WorkerSample;

/// <summary>
/// A job runner that reports each job it runs for a signed-in operator, then stops the app. It only calls Track,
/// Identify and People: delivery, batching and the final flush are the client's.
/// </summary>
internal sealed partial class ReportWorker(IMixpanelClient mixpanel, IHostApplicationLifetime lifetime, ILogger<ReportWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The operator is known: identify them (it sends nothing if they were already identified on this machine).
        mixpanel.Identify("operator-42");
        mixpanel.People.Set("role", "night shift");
        mixpanel.Register(new Dictionary<string, object?> { ["worker_version"] = "1.0" });

        for (var job = 1; job <= 5 && !stoppingToken.IsCancellationRequested; job++)
        {
            mixpanel.TimeEvent("Job Finished");
            await Task.Yield();
            mixpanel.Track("Job Finished", new Dictionary<string, object?> { ["job"] = job, ["rows"] = job * 1000 });
            LogJob(logger, job, mixpanel.Diagnostics.Accepted);
        }

        // Stopping the host delivers what is still queued, within ShutdownTimeout.
        lifetime.StopApplication();
    }

    [LoggerMessage(1, LogLevel.Information, "Job {Job} done; {Accepted} records accepted so far.")]
    private static partial void LogJob(ILogger logger, int job, long accepted);
}
