using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Flags;

namespace Mixpanel.Identity;

/// <summary>
/// Mixpanel's feature flags and experiments for a server's visitors (<see cref="MixpanelServerClient.Flags"/>):
/// evaluated in the process from polled definitions (<see cref="MixpanelFlagsEvaluation.Local"/>, the default) or by
/// asking Mixpanel (<see cref="MixpanelFlagsEvaluation.Remote"/>), exactly as Mixpanel's own server SDKs do. An
/// evaluation never throws for Mixpanel being unreachable: it returns the fallback and says why. A variant served is
/// reported to Mixpanel as <c>$experiment_started</c>, once per visitor, flag and variant while it is remembered.
/// </summary>
public sealed class MixpanelFlags
{
    private readonly FlagsApi? _api;
    private readonly ScriptedVariants? _script;
    private readonly DefinitionsPoller? _definitions;
    private readonly MixpanelFlagsEvaluation _evaluation;
    private readonly ExposureCache? _exposures;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Action<MixpanelFlagContext, string, IReadOnlyDictionary<string, object?>> _trackExposure;

    internal MixpanelFlags(
        FlagsApi api,
        MixpanelOptions options,
        TimeProvider clock,
        ILogger logger,
        Action<MixpanelFlagContext, string, IReadOnlyDictionary<string, object?>> trackExposure)
        : this(options, clock, logger, trackExposure)
    {
        _api = api;
        _definitions = options.FlagsEvaluation == MixpanelFlagsEvaluation.Local ? new DefinitionsPoller(api, options.FlagsPollingInterval, clock, logger) : null;
    }

    /// <summary>Flags answered from <paramref name="script"/> in place of Mixpanel, as the fakes answer them.</summary>
    internal MixpanelFlags(
        ScriptedVariants script,
        MixpanelOptions options,
        TimeProvider clock,
        ILogger logger,
        Action<MixpanelFlagContext, string, IReadOnlyDictionary<string, object?>> trackExposure)
        : this(options, clock, logger, trackExposure)
    {
        _script = script;
    }

    private MixpanelFlags(
        MixpanelOptions options, TimeProvider clock, ILogger logger, Action<MixpanelFlagContext, string, IReadOnlyDictionary<string, object?>> trackExposure)
    {
        _evaluation = options.FlagsEvaluation;
        _clock = clock;
        _logger = logger;
        _trackExposure = trackExposure;
        _exposures = options.FlagsDeduplicateExposures ? new ExposureCache(ExposureCache.DefaultCapacity) : null;
    }

    /// <summary>How the flags are evaluated.</summary>
    public MixpanelFlagsEvaluation Evaluation => _evaluation;

    /// <summary>
    /// Starts fetching the definitions (local evaluation) and completes when the first fetch has ended, successfully or
    /// not (evaluations then return fallbacks with <see cref="MixpanelFlagFallbackReason.NotReady"/> until one succeeds).
    /// With remote evaluation there is nothing to wait for.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early.</param>
    public Task WhenReadyAsync(CancellationToken cancellationToken = default) =>
        _definitions?.WhenFirstFetchedAsync(cancellationToken) ?? Task.CompletedTask;

    /// <summary>
    /// The variant of <paramref name="flagKey"/> for <paramref name="context"/>, or <paramref name="fallback"/> with
    /// the reason. With remote evaluation this waits for Mixpanel's answer: prefer <see cref="GetVariantAsync"/> there.
    /// </summary>
    /// <param name="flagKey">The flag's key.</param>
    /// <param name="context">Who the flag is evaluated for.</param>
    /// <param name="fallback">What to return when no variant is assigned; by default a variant with no key or value.</param>
    /// <param name="reportExposure">Whether a variant served is reported as <c>$experiment_started</c>.</param>
    /// <exception cref="ArgumentException">The key is empty, or the context is null.</exception>
    public MixpanelFlagVariant GetVariant(string flagKey, MixpanelFlagContext context, MixpanelFlagVariant? fallback = null, bool reportExposure = true)
    {
        Validate(flagKey, context);
        return _script is not null || _definitions is not null
            ? EvaluateInProcess(flagKey, context, fallback, reportExposure)
            : EvaluateRemotelyAsync(flagKey, context, fallback, reportExposure, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>As <see cref="GetVariant"/>, without blocking a thread while Mixpanel answers (remote evaluation).</summary>
    /// <param name="flagKey">The flag's key.</param>
    /// <param name="context">Who the flag is evaluated for.</param>
    /// <param name="fallback">What to return when no variant is assigned.</param>
    /// <param name="reportExposure">Whether a variant served is reported as <c>$experiment_started</c>.</param>
    /// <param name="cancellationToken">Abandons the request to Mixpanel.</param>
    /// <exception cref="ArgumentException">The key is empty, or the context is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<MixpanelFlagVariant> GetVariantAsync(
        string flagKey, MixpanelFlagContext context, MixpanelFlagVariant? fallback = null, bool reportExposure = true, CancellationToken cancellationToken = default)
    {
        Validate(flagKey, context);
        if (_script is not null && _evaluation != MixpanelFlagsEvaluation.Local && cancellationToken.IsCancellationRequested)
        {
            // A fake's script stands for Mixpanel's answer: a request abandoned before it is sent has none.
            return Task.FromCanceled<MixpanelFlagVariant>(cancellationToken);
        }

        return _script is not null || _definitions is not null
            ? Task.FromResult(EvaluateInProcess(flagKey, context, fallback, reportExposure))
            : EvaluateRemotelyAsync(flagKey, context, fallback, reportExposure, cancellationToken);
    }

    /// <summary>Whether a feature gate is on: its variant's value is the boolean <c>true</c> (nothing else counts).</summary>
    /// <param name="flagKey">The flag's key.</param>
    /// <param name="context">Who the flag is evaluated for.</param>
    public bool IsEnabled(string flagKey, MixpanelFlagContext context) =>
        GetVariant(flagKey, context).Value.ValueKind == JsonValueKind.True;

    /// <summary>As <see cref="IsEnabled"/>, without blocking a thread while Mixpanel answers.</summary>
    /// <param name="flagKey">The flag's key.</param>
    /// <param name="context">Who the flag is evaluated for.</param>
    /// <param name="cancellationToken">Abandons the request to Mixpanel.</param>
    public async Task<bool> IsEnabledAsync(string flagKey, MixpanelFlagContext context, CancellationToken cancellationToken = default) =>
        (await GetVariantAsync(flagKey, context, null, true, cancellationToken).ConfigureAwait(false)).Value.ValueKind == JsonValueKind.True;

    /// <summary>Uses <paramref name="definitions"/> instead of fetching them: the local test server evaluates with these.</summary>
    internal void UseDefinitions(IReadOnlyDictionary<string, FlagDefinition> definitions) => _definitions?.Use(definitions);

    /// <summary>Completes when the next fetch of definitions has ended; true when it brought definitions.</summary>
    internal Task<bool> NextDefinitionsFetchAsync() => _definitions?.NextFetchAsync() ?? Task.FromResult(false);

    internal ValueTask DisposeAsync() => _definitions?.DisposeAsync() ?? default;

    private static void Validate(string flagKey, MixpanelFlagContext context)
    {
        if (string.IsNullOrEmpty(flagKey))
        {
            throw new ArgumentException("A flag key is required.", nameof(flagKey));
        }

        Guard.NotNull(context);
    }

    private MixpanelFlagVariant EvaluateInProcess(string flagKey, MixpanelFlagContext context, MixpanelFlagVariant? fallback, bool reportExposure)
    {
        if (_script is not null)
        {
            return EvaluateScripted(flagKey, context, fallback, reportExposure);
        }

        if (_definitions!.Definitions is not { } definitions)
        {
            return MixpanelFlagVariant.Fallback(fallback, MixpanelFlagFallbackReason.NotReady);
        }

        definitions.TryGetValue(flagKey, out var flag);
        var assignment = LocalEvaluator.Evaluate(flag, context);
        if (assignment.Variant is not { } variant)
        {
            return MixpanelFlagVariant.Fallback(fallback, assignment.Reason!.Value);
        }

        var selected = MixpanelFlagVariant.Selected(
            variant.Key,
            variant.Value,
            MixpanelFlagSource.Local,
            flag!.HasExperimentId && flag.ExperimentId is { } id ? JsValues.ToStr(id) : null,
            flag.IsExperimentActive,
            assignment.IsQaTester);
        if (reportExposure)
        {
            ReportExposure(flagKey, selected, context, latencyMilliseconds: null);
        }

        return selected;
    }

    // The script stands for Mixpanel's answer in either mode: a variant is reported as that mode reports it.
    private MixpanelFlagVariant EvaluateScripted(string flagKey, MixpanelFlagContext context, MixpanelFlagVariant? fallback, bool reportExposure)
    {
        var local = _evaluation == MixpanelFlagsEvaluation.Local;
        if (_script!.Find(flagKey, context.DistinctId, local ? MixpanelFlagSource.Local : MixpanelFlagSource.Remote) is not { } selected)
        {
            return MixpanelFlagVariant.Fallback(fallback, MixpanelFlagFallbackReason.FlagNotFound);
        }

        if (reportExposure)
        {
            ReportExposure(flagKey, selected, context, local ? null : 0);
        }

        return selected;
    }

    private async Task<MixpanelFlagVariant> EvaluateRemotelyAsync(
        string flagKey, MixpanelFlagContext context, MixpanelFlagVariant? fallback, bool reportExposure, CancellationToken cancellationToken)
    {
        var started = _clock.GetTimestamp();
        MixpanelFlagVariant? selected;
        try
        {
            using var answer = await _api!.GetFlagsAsync(context, flagKey, "flags", cancellationToken).ConfigureAwait(false);
            RemoteFlags.Read(answer.RootElement, MixpanelFlagSource.Remote).TryGetValue(flagKey, out selected);
        }
        catch (FlagsRequestException exception)
        {
            Log.FlagRemoteFailed(_logger, flagKey, exception.Message);
            return MixpanelFlagVariant.Fallback(fallback, MixpanelFlagFallbackReason.BackendError);
        }

        if (selected is null)
        {
            // Mixpanel answers only the flags the context is in: a missing key is an unknown flag or no rollout.
            return MixpanelFlagVariant.Fallback(fallback, MixpanelFlagFallbackReason.FlagNotFound);
        }

        if (reportExposure)
        {
            ReportExposure(flagKey, selected, context, (long)_clock.GetElapsedTime(started).TotalMilliseconds);
        }

        return selected;
    }

    private void ReportExposure(string flagKey, MixpanelFlagVariant variant, MixpanelFlagContext context, long? latencyMilliseconds)
    {
        if (_exposures is { } seen && !seen.TryAdd(flagKey, context.DistinctId, variant.Key!))
        {
            return;
        }

        var properties = ExposureProperties.For(flagKey, variant, _evaluation == MixpanelFlagsEvaluation.Local ? "local" : "remote", latencyMilliseconds);
        try
        {
            _trackExposure(context, flagKey, properties);
        }
        catch (ArgumentException exception)
        {
            Log.FlagExposureRefused(_logger, flagKey, exception.Message);
        }
    }
}
