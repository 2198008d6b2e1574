using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Flags;

namespace Mixpanel.Identity;

/// <summary>
/// Mixpanel's feature flags for this device's person (<see cref="MixpanelClient.Flags"/>), as Mixpanel's client SDKs
/// have them: all variants fetched from Mixpanel at first use, again after <see cref="MixpanelClient.Identify"/> with a
/// new id, after <see cref="MixpanelClient.Reset"/> and when the context changes, and kept on disk for the distinct id
/// (<see cref="MixpanelOptions.FlagsCacheTimeToLive"/>) so that an app starting offline has its last variants.
/// Reading a variant never waits for the network. The first read of a flag after each fetch is reported as
/// <c>$experiment_started</c> under the person's current identity, through the durable queue.
/// </summary>
public sealed class MixpanelClientFlags
{
    private readonly FlagsApi? _api;
    private readonly ScriptedVariants? _script;
    private readonly PersistedFlags _persisted;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Func<(string DistinctId, string DeviceId)> _identity;
    private readonly Action<string, IReadOnlyDictionary<string, object?>> _track;
    private readonly object _gate = new();
    private readonly TaskCompletionSource<bool> _firstFetch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool> _nextFetch = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyDictionary<string, object?> _customProperties = new Dictionary<string, object?>();
    private Held? _held;
    private bool _started;
    private bool _lastFetchFailed;
    private int _fetchGeneration;

    internal MixpanelClientFlags(
        FlagsApi api, PersistedFlags persisted, TimeProvider clock, ILogger logger,
        Func<(string DistinctId, string DeviceId)> identity, Action<string, IReadOnlyDictionary<string, object?>> track)
    {
        (_api, _persisted, _clock, _logger, _identity, _track) = (api, persisted, clock, logger, identity, track);
    }

    /// <summary>
    /// Flags answered from <paramref name="script"/> in place of Mixpanel, as the fakes answer them: each fetch takes the
    /// script's variants at once, on the caller's thread; a change to the script is fetched as a change on Mixpanel's side.
    /// </summary>
    internal MixpanelClientFlags(
        ScriptedVariants script, TimeProvider clock, ILogger logger,
        Func<(string DistinctId, string DeviceId)> identity, Action<string, IReadOnlyDictionary<string, object?>> track)
    {
        (_script, _persisted, _clock, _logger, _identity, _track) = (script, new PersistedFlags(null, TimeSpan.Zero), clock, logger, identity, track);
        script.Changed = () =>
        {
            bool started;
            lock (_gate)
            {
                started = _started;
            }

            if (started)
            {
                Refetch();
            }
        };
    }

    /// <summary>Starts fetching (on first use) and completes when the first fetch has ended, successfully or not.</summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    public Task WhenReadyAsync(CancellationToken cancellationToken = default)
    {
        EnsureStarted();
        return _firstFetch.Task.WaitOrCancelAsync(cancellationToken);
    }

    /// <summary>The variant of <paramref name="flagKey"/> for this device's person, or <paramref name="fallback"/> with the reason.</summary>
    /// <param name="flagKey">The flag's key.</param>
    /// <param name="fallback">What to return when no variant is held; by default a variant with no key or value.</param>
    /// <param name="reportExposure">Whether the first read after a fetch is reported as <c>$experiment_started</c>.</param>
    /// <exception cref="ArgumentException">The key is empty.</exception>
    public MixpanelFlagVariant GetVariant(string flagKey, MixpanelFlagVariant? fallback = null, bool reportExposure = true)
    {
        if (string.IsNullOrEmpty(flagKey))
        {
            throw new ArgumentException("A flag key is required.", nameof(flagKey));
        }

        EnsureStarted();
        MixpanelFlagVariant? variant;
        bool report;
        lock (_gate)
        {
            var held = _held is { } current && current.DistinctId == _identity().DistinctId ? current : null;
            if (held is null)
            {
                return MixpanelFlagVariant.Fallback(fallback, _lastFetchFailed ? MixpanelFlagFallbackReason.BackendError : MixpanelFlagFallbackReason.NotReady);
            }

            if (!held.Variants.TryGetValue(flagKey, out variant))
            {
                return MixpanelFlagVariant.Fallback(fallback, MixpanelFlagFallbackReason.FlagNotFound);
            }

            report = reportExposure && held.Reported.Add(flagKey);
        }

        if (report)
        {
            var properties = ExposureProperties.For(flagKey, variant, evaluationMode: null, (long)(variant.FetchedAt - variant.FetchStartedAt).TotalMilliseconds);
            properties["Variant fetch start time"] = variant.FetchStartedAt.ToString("o", CultureInfo.InvariantCulture);
            properties["Variant fetch complete time"] = variant.FetchedAt.ToString("o", CultureInfo.InvariantCulture);
            properties["$variant_source"] = variant.Source == MixpanelFlagSource.Persisted ? "persistence" : "network";
            try
            {
                _track(ExposureProperties.EventName, properties);
            }
            catch (ArgumentException exception)
            {
                Log.FlagExposureRefused(_logger, flagKey, exception.Message);
            }
        }

        return variant;
    }

    /// <summary>Whether a feature gate is on for this device's person: its variant's value is the boolean <c>true</c>.</summary>
    /// <param name="flagKey">The flag's key.</param>
    public bool IsEnabled(string flagKey) => GetVariant(flagKey).Value.ValueKind == JsonValueKind.True;

    /// <summary>Replaces the custom properties the flags' runtime rules read, and fetches the variants again.</summary>
    /// <param name="customProperties">The properties: strings, numbers, booleans, null, lists and dictionaries.</param>
    public void UpdateContext(IReadOnlyDictionary<string, object?> customProperties)
    {
        lock (_gate)
        {
            _customProperties = new Dictionary<string, object?>(customProperties.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
        }

        Refetch();
    }

    /// <summary>The identity may have changed (Identify, Reset): fetched again when the distinct id is not the one held.</summary>
    internal void OnIdentityChanged(bool reset)
    {
        bool stale;
        lock (_gate)
        {
            stale = _started && (_held is null || _held.DistinctId != _identity().DistinctId);
        }

        if (stale)
        {
            // After a reset the kept copy names the person who left: the fetch deletes it, off the app's thread.
            Refetch(forgetKept: reset);
        }
    }

    /// <summary>Completes when the fetch after this call has ended; true when it brought variants.</summary>
    internal Task<bool> NextFetchAsync() => Volatile.Read(ref _nextFetch).Task;

    private void EnsureStarted()
    {
        lock (_gate)
        {
            if (_started)
            {
                return;
            }

            _started = true;
            var distinctId = _identity().DistinctId;
            if (_persisted.Read(distinctId, _clock.GetUtcNow()) is { } kept)
            {
                _held = new Held(distinctId, kept);
            }
        }

        Refetch();
    }

    private void Refetch(bool forgetKept = false)
    {
        int generation;
        lock (_gate)
        {
            generation = ++_fetchGeneration;
        }

        if (_script is { } script)
        {
            var distinctId = _identity().DistinctId;
            Ended(Hold(generation, distinctId, script.All(distinctId, _clock.GetUtcNow())));
            return;
        }

        _ = Task.Run(() => FetchAsync(generation, forgetKept));
    }

    private async Task FetchAsync(int generation, bool forgetKept)
    {
        if (forgetKept)
        {
            _persisted.Delete();
        }

        var (distinctId, deviceId) = _identity();
        var context = new MixpanelFlagContext(distinctId) { DeviceId = deviceId };
        lock (_gate)
        {
            foreach (var property in _customProperties)
            {
                context.CustomProperties[property.Key] = property.Value;
            }
        }

        var started = _clock.GetUtcNow();
        var fetched = false;
        try
        {
            using var answer = await _api!.GetFlagsAsync(context, flagKey: null, "flags/", CancellationToken.None).ConfigureAwait(false);
            var completed = _clock.GetUtcNow();
            fetched = Hold(generation, distinctId, RemoteFlags.Read(answer.RootElement, MixpanelFlagSource.Remote, started, completed));
            if (fetched)
            {
                _persisted.Write(distinctId, completed, answer.RootElement);
            }
        }
        catch (FlagsRequestException exception)
        {
            Log.FlagRemoteFailed(_logger, "*", exception.Message);
            lock (_gate)
            {
                _lastFetchFailed = true;
            }
        }
#pragma warning disable CA1031 // A background fetch never throws into the app: anything else is logged as a failed fetch too.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.FlagRemoteFailed(_logger, "*", exception.Message);
        }
        finally
        {
            Ended(fetched);
        }
    }

    /// <summary>Holds the variants a fetch brought, unless a later fetch (for a newer identity or context) began since.</summary>
    private bool Hold(int generation, string distinctId, Dictionary<string, MixpanelFlagVariant> variants)
    {
        lock (_gate)
        {
            if (generation != _fetchGeneration)
            {
                return false;
            }

            _held = new Held(distinctId, variants);
            _lastFetchFailed = false;
            return true;
        }
    }

    private void Ended(bool fetched)
    {
        _firstFetch.TrySetResult(fetched);
        Interlocked.Exchange(ref _nextFetch, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(fetched);
    }

    /// <summary>The variants held for one distinct id, and the flags already reported since they were fetched.</summary>
    private sealed class Held(string distinctId, Dictionary<string, MixpanelFlagVariant> variants)
    {
        public string DistinctId { get; } = distinctId;

        public Dictionary<string, MixpanelFlagVariant> Variants { get; } = variants;

        public HashSet<string> Reported { get; } = new(StringComparer.Ordinal);
    }
}
