using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mixpanel.Identity.HealthChecks;

/// <summary>
/// Unhealthy when delivery has halted (Mixpanel refused the token or host), or when records have waited longer than
/// the threshold while nothing was delivered (an outage, a proxy that swallows requests). The wait is measured from
/// one check to the next: the first check that finds records waiting starts the clock, and any delivery, or an empty
/// queue, restarts it.
/// </summary>
internal sealed class MixpanelHealthCheck(MixpanelDiagnostics? diagnostics, TimeProvider time, TimeSpan maxDeliveryWait) : IHealthCheck
{
    private readonly object _gate = new();
    private long _sentSeen = -1;
    private long _waitingSince;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        if (diagnostics is not { } status)
        {
            return Task.FromResult(new HealthCheckResult(failure, "No Mixpanel client is registered: add one with AddMixpanel or AddMixpanelServer."));
        }

        var data = new Dictionary<string, object>
        {
            ["accepted"] = status.Accepted,
            ["sent"] = status.Sent,
            ["queued"] = status.Queued,
            ["dropped"] = status.Dropped,
            ["durable"] = status.IsDurable,
        };

        if (status.DeliveryHaltedStatusCode is { } code)
        {
            data["halted_status"] = code;
            return Task.FromResult(new HealthCheckResult(
                failure,
                string.Format(CultureInfo.InvariantCulture, "Delivery to Mixpanel has halted: it answered HTTP {0}, so the project token or host is wrong. {1} records wait for a client with a corrected configuration.", code, status.Queued),
                data: data));
        }

        var waited = WaitedWithoutDelivery(status.Queued, status.Sent);
        if (waited > maxDeliveryWait)
        {
            return Task.FromResult(new HealthCheckResult(
                failure,
                string.Format(CultureInfo.InvariantCulture, "{0} records are queued and none has been delivered to Mixpanel for {1:g} (more than {2:g}).", status.Queued, waited, maxDeliveryWait),
                data: data));
        }

        return Task.FromResult(HealthCheckResult.Healthy(status.ToString(), data));
    }

    private TimeSpan WaitedWithoutDelivery(long queued, long sent)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            if (queued == 0 || sent != _sentSeen)
            {
                _sentSeen = sent;
                _waitingSince = now;
                return TimeSpan.Zero;
            }

            return time.GetElapsedTime(_waitingSince, now);
        }
    }
}
