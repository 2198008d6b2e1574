using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Mixpanel.Identity.DependencyInjection;

/// <summary>
/// Reads <see cref="MixpanelOptions"/> from a configuration section, key by key, and reports every value it cannot
/// read as a validation failure naming the key (through <see cref="ConfigurationBinding{TOptions}"/>). Written by hand
/// rather than with the reflection-based <c>ConfigurationBinder</c> so that trimmed and Native AOT apps keep every
/// setting. Its reader and parsers serve the bindings of the other packages' options too.
/// </summary>
internal static class MixpanelConfigurationBinding
{
    internal const string NotTimeSpan = "not a time span in the form hours:minutes:seconds, such as 00:00:10 for ten seconds";
    internal const string NotBoolean = "not true or false";
    private const string NotWholeNumber = "not a whole number";

    // Enum values by name only, listed by hand rather than found by reflection (Enum.TryParse would also take numbers).
    private static readonly Parser<IdMergeApi> IdMergeNames = Named(
        (nameof(IdMergeApi.Original), IdMergeApi.Original),
        (nameof(IdMergeApi.Simplified), IdMergeApi.Simplified));

    private static readonly Parser<StorageMode> StorageNames = Named(
        (nameof(StorageMode.Disk), StorageMode.Disk),
        (nameof(StorageMode.Memory), StorageMode.Memory));

    private static readonly Parser<MixpanelFlagsEvaluation> FlagsEvaluationNames = Named(
        (nameof(MixpanelFlagsEvaluation.Local), MixpanelFlagsEvaluation.Local),
        (nameof(MixpanelFlagsEvaluation.Remote), MixpanelFlagsEvaluation.Remote));

    /// <summary>
    /// Sets each option whose key has a value; a key that is absent or empty keeps the option's default. A value that
    /// cannot be read leaves the option as it was and, when <paramref name="errors"/> is given, adds a message naming
    /// the key.
    /// </summary>
    internal static void Bind(IConfiguration configuration, MixpanelOptions options, List<string>? errors)
    {
        var reader = new Reader(configuration, errors);
        options.Enabled = reader.Parse(nameof(MixpanelOptions.Enabled), options.Enabled, ParseBoolean, NotBoolean);
        if (reader.Text(nameof(MixpanelOptions.ProjectToken)) is { } token)
        {
            options.ProjectToken = token.Trim();
        }

        options.ApiHost = reader.Parse(nameof(MixpanelOptions.ApiHost), options.ApiHost, MixpanelApiHosts.TryParse, "neither a region (US, EU, IN) nor an absolute URI such as https://api.mixpanel.com/");
        options.IdMerge = reader.Parse(nameof(MixpanelOptions.IdMerge), options.IdMerge, IdMergeNames, "not Original or Simplified");
        if (reader.Text(nameof(MixpanelOptions.StorageDirectory)) is { } directory)
        {
            options.StorageDirectory = directory;
        }

        options.Storage = reader.Parse(nameof(MixpanelOptions.Storage), options.Storage, StorageNames, "not Disk or Memory");
        options.BatchSize = reader.Parse(nameof(MixpanelOptions.BatchSize), options.BatchSize, ParseInt32, NotWholeNumber);
        options.FlushInterval = reader.Parse(nameof(MixpanelOptions.FlushInterval), options.FlushInterval, ParseTimeSpan, NotTimeSpan);
        options.MaxQueueSize = reader.Parse(nameof(MixpanelOptions.MaxQueueSize), options.MaxQueueSize, ParseInt32, NotWholeNumber);
        options.MaxQueueBytes = reader.Parse(nameof(MixpanelOptions.MaxQueueBytes), options.MaxQueueBytes, ParseInt64, NotWholeNumber);
        options.TrackMemoryBudgetBytes = reader.Parse(nameof(MixpanelOptions.TrackMemoryBudgetBytes), options.TrackMemoryBudgetBytes, ParseInt64, NotWholeNumber);
        options.PersistInterval = reader.Parse(nameof(MixpanelOptions.PersistInterval), options.PersistInterval, ParseTimeSpan, NotTimeSpan);
        options.ShutdownTimeout = reader.Parse(nameof(MixpanelOptions.ShutdownTimeout), options.ShutdownTimeout, ParseTimeSpan, NotTimeSpan);
        options.FlushTimeout = reader.Parse(nameof(MixpanelOptions.FlushTimeout), options.FlushTimeout, ParseTimeSpan, NotTimeSpan);
        options.RequestTimeout = reader.Parse(nameof(MixpanelOptions.RequestTimeout), options.RequestTimeout, ParseTimeSpan, NotTimeSpan);
        options.UseGzip = reader.Parse(nameof(MixpanelOptions.UseGzip), options.UseGzip, ParseBoolean, NotBoolean);
        options.UseIpAddressForGeolocation = reader.Parse(nameof(MixpanelOptions.UseIpAddressForGeolocation), options.UseIpAddressForGeolocation, ParseBoolean, NotBoolean);
        options.SendDefaultProperties = reader.Parse(nameof(MixpanelOptions.SendDefaultProperties), options.SendDefaultProperties, ParseBoolean, NotBoolean);
        options.TrackAutomaticEvents = reader.Parse(nameof(MixpanelOptions.TrackAutomaticEvents), options.TrackAutomaticEvents, ParseBoolean, NotBoolean);
        options.MinimumSessionDuration = reader.Parse(nameof(MixpanelOptions.MinimumSessionDuration), options.MinimumSessionDuration, ParseTimeSpan, NotTimeSpan);
        options.OptOutTrackingByDefault = reader.Parse(nameof(MixpanelOptions.OptOutTrackingByDefault), options.OptOutTrackingByDefault, ParseBoolean, NotBoolean);
        options.AppVersion = reader.Text(nameof(MixpanelOptions.AppVersion))?.Trim() ?? options.AppVersion;
        options.AppBuildNumber = reader.Text(nameof(MixpanelOptions.AppBuildNumber))?.Trim() ?? options.AppBuildNumber;
        options.ApiSecret = reader.Text(nameof(MixpanelOptions.ApiSecret))?.Trim() ?? options.ApiSecret;
        options.ServiceAccountUsername = reader.Text(nameof(MixpanelOptions.ServiceAccountUsername))?.Trim() ?? options.ServiceAccountUsername;
        options.ServiceAccountSecret = reader.Text(nameof(MixpanelOptions.ServiceAccountSecret))?.Trim() ?? options.ServiceAccountSecret;
        options.ProjectId = reader.Text(nameof(MixpanelOptions.ProjectId))?.Trim() ?? options.ProjectId;
        options.FlagsEvaluation = reader.Parse(nameof(MixpanelOptions.FlagsEvaluation), options.FlagsEvaluation, FlagsEvaluationNames, "not Local or Remote");
        options.FlagsPollingInterval = reader.Parse(nameof(MixpanelOptions.FlagsPollingInterval), options.FlagsPollingInterval, ParseTimeSpan, NotTimeSpan);
        options.FlagsDeduplicateExposures = reader.Parse(nameof(MixpanelOptions.FlagsDeduplicateExposures), options.FlagsDeduplicateExposures, ParseBoolean, NotBoolean);
        options.FlagsCacheTimeToLive = reader.Parse(nameof(MixpanelOptions.FlagsCacheTimeToLive), options.FlagsCacheTimeToLive, ParseTimeSpan, NotTimeSpan);
    }

    /// <summary>Reads a configured value; false when <paramref name="text"/> is not one.</summary>
    internal delegate bool Parser<T>(string text, [MaybeNullWhen(false)] out T value);

    private static bool ParseInt32(string text, out int value) =>
        int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool ParseInt64(string text, out long value) =>
        long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    internal static bool ParseTimeSpan(string text, out TimeSpan value)
    {
        // A bare number would parse as a count of days ("10" is ten days); a colon is required so that a setting meant
        // as seconds is reported rather than taken as days.
        value = default;
        return text.AsSpan().IndexOf(':') >= 0 && TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out value);
    }

    internal static bool ParseBoolean(string text, out bool value) => bool.TryParse(text.Trim(), out value);

    private static Parser<T> Named<T>(params (string Name, T Value)[] choices)
        where T : struct, Enum =>
        (string text, out T value) =>
        {
            var trimmed = text.Trim();
            foreach (var (name, choice) in choices)
            {
                if (string.Equals(trimmed, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = choice;
                    return true;
                }
            }

            value = default;
            return false;
        };

    /// <summary>Reads keys of one section; shared with the bindings of the other packages' options.</summary>
    internal readonly struct Reader(IConfiguration configuration, List<string>? errors)
    {
        // Messages name the key as the app wrote it, with its section ("Mixpanel:BatchSize"), so that it can be found
        // in appsettings.json or as the environment variable Mixpanel__BatchSize.
        private readonly string _prefix = configuration is IConfigurationSection { Path.Length: > 0 } section ? section.Path + ":" : string.Empty;

        // JSON null and an empty environment variable both arrive as an empty string: the setting is left at its default.
        public string? Text(string key) => configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

        /// <summary>
        /// The value of <paramref name="key"/>, or <paramref name="current"/> when the key has none or its text cannot be
        /// read. Text that cannot be read adds, when errors are collected, a message naming the key and saying that the
        /// text is <paramref name="problem"/>.
        /// </summary>
        public T Parse<T>(string key, T current, Parser<T> parser, string problem)
        {
            var text = Text(key);
            if (text is null)
            {
                return current;
            }

            if (parser(text, out var value))
            {
                return value;
            }

            errors?.Add($"The configuration value {_prefix}{key} ('{text}') is {problem}.");
            return current;
        }
    }
}
