using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mixpanel.Identity;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check of the registered Mixpanel client.</summary>
public static class MixpanelHealthChecksBuilderExtensions
{
    /// <summary>The name the check is registered under by default: <c>"mixpanel"</c>.</summary>
    public const string DefaultName = "mixpanel";

    /// <summary>
    /// Adds a check of the <see cref="MixpanelClient"/> or <see cref="MixpanelServerClient"/> registered in the container:
    /// <paramref name="failureStatus"/> when delivery has halted (Mixpanel refused the project token or host,
    /// <see cref="MixpanelDiagnostics.IsDeliveryHalted"/>), or when records have been queued for longer than
    /// <paramref name="maxDeliveryWait"/> with none delivered; healthy otherwise, described by
    /// <see cref="MixpanelDiagnostics.ToString"/>. Its data carries the counts.
    /// </summary>
    /// <param name="builder">The health checks builder, from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="maxDeliveryWait">How long records may wait with nothing delivered; null for 15 minutes.</param>
    /// <param name="failureStatus">The status of a failed check; null for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDeliveryWait"/> is not positive.</exception>
    public static IHealthChecksBuilder AddMixpanel(
        this IHealthChecksBuilder builder,
        string name = DefaultName,
        TimeSpan? maxDeliveryWait = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        Guard.NotNull(builder);
        Guard.NotNull(name);
        var wait = maxDeliveryWait ?? TimeSpan.FromMinutes(15);
        if (wait <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDeliveryWait), wait, "The wait must be positive.");
        }

        // The registry calls the factory on every run, from a scope it then disposes; the check keeps what it saw between
        // runs, so it is made once, holding the singleton client's diagnostics rather than the scope.
        MixpanelHealthCheck? check = null;
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => LazyInitializer.EnsureInitialized(ref check, () => new MixpanelHealthCheck(
                provider.GetService<MixpanelClient>()?.Diagnostics ?? provider.GetService<MixpanelServerClient>()?.Diagnostics,
                provider.GetService<TimeProvider>() ?? TimeProvider.System,
                wait))!,
            failureStatus,
            tags));
    }
}
