using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Mixpanel.Identity.DependencyInjection;

/// <summary>
/// Reads <see cref="MixpanelOptions"/> from a configuration section, key by key, and reports every value it cannot
/// read as a validation failure naming the key. Written by hand rather than with the reflection-based
/// <c>ConfigurationBinder</c> so that trimmed and Native AOT apps keep every setting.
/// </summary>
internal sealed class MixpanelConfigurationBinding : IConfigureOptions<MixpanelOptions>, IValidateOptions<MixpanelOptions>
{
    private readonly IConfiguration _configuration;

    public MixpanelConfigurationBinding(IConfiguration configuration) => _configuration = configuration;

    /// <summary>Every key that is read, in the order of <see cref="MixpanelOptions"/>.</summary>
    internal static IReadOnlyList<string> Keys { get; } =
    [
        nameof(MixpanelOptions.ProjectToken),
        nameof(MixpanelOptions.ApiHost),
        nameof(MixpanelOptions.IdMerge),
        nameof(MixpanelOptions.StorageDirectory),
        nameof(MixpanelOptions.Storage),
        nameof(MixpanelOptions.BatchSize),
        nameof(MixpanelOptions.FlushInterval),
        nameof(MixpanelOptions.MaxQueueSize),
        nameof(MixpanelOptions.MaxQueueBytes),
        nameof(MixpanelOptions.PersistInterval),
        nameof(MixpanelOptions.ShutdownTimeout),
        nameof(MixpanelOptions.RequestTimeout),
        nameof(MixpanelOptions.UseGzip),
        nameof(MixpanelOptions.UseIpAddressForGeolocation),
    ];

    public void Configure(MixpanelOptions options) => Bind(_configuration, options, errors: null);

    // The values were read once already by Configure; reading them again here keeps the binding stateless and costs
    // a dictionary look-up per key, once per process.
    public ValidateOptionsResult Validate(string? name, MixpanelOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>();
        Bind(_configuration, new MixpanelOptions(), errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Sets each option whose key has a value; a key that is absent or empty keeps the option's default. A value that
    /// cannot be read leaves the option as it was and, when <paramref name="errors"/> is given, adds a message naming
    /// the key.
    /// </summary>
    internal static void Bind(IConfiguration configuration, MixpanelOptions options, List<string>? errors)
    {
        var reader = new Reader(configuration, errors);
        if (reader.Text(nameof(MixpanelOptions.ProjectToken)) is { } token)
        {
            options.ProjectToken = token.Trim();
        }

        if (reader.Text(nameof(MixpanelOptions.ApiHost)) is { } hostText)
        {
            if (MixpanelApiHosts.TryParse(hostText, out var host))
            {
                options.ApiHost = host!;
            }
            else
            {
                reader.Fail(nameof(MixpanelOptions.ApiHost), hostText, "neither a region (US, EU, IN) nor an absolute URI such as https://api.mixpanel.com/");
            }
        }

        if (reader.Text(nameof(MixpanelOptions.IdMerge)) is { } idMerge)
        {
            if (Matches(idMerge, nameof(IdMergeApi.Original)))
            {
                options.IdMerge = IdMergeApi.Original;
            }
            else if (Matches(idMerge, nameof(IdMergeApi.Simplified)))
            {
                options.IdMerge = IdMergeApi.Simplified;
            }
            else
            {
                reader.Fail(nameof(MixpanelOptions.IdMerge), idMerge, "not Original or Simplified");
            }
        }

        if (reader.Text(nameof(MixpanelOptions.StorageDirectory)) is { } directory)
        {
            options.StorageDirectory = directory;
        }

        if (reader.Text(nameof(MixpanelOptions.Storage)) is { } storage)
        {
            if (Matches(storage, nameof(StorageMode.Disk)))
            {
                options.Storage = StorageMode.Disk;
            }
            else if (Matches(storage, nameof(StorageMode.Memory)))
            {
                options.Storage = StorageMode.Memory;
            }
            else
            {
                reader.Fail(nameof(MixpanelOptions.Storage), storage, "not Disk or Memory");
            }
        }

        options.BatchSize = reader.Int32(nameof(MixpanelOptions.BatchSize), options.BatchSize);
        options.FlushInterval = reader.TimeSpan(nameof(MixpanelOptions.FlushInterval), options.FlushInterval);
        options.MaxQueueSize = reader.Int32(nameof(MixpanelOptions.MaxQueueSize), options.MaxQueueSize);
        options.MaxQueueBytes = reader.Int64(nameof(MixpanelOptions.MaxQueueBytes), options.MaxQueueBytes);
        options.PersistInterval = reader.TimeSpan(nameof(MixpanelOptions.PersistInterval), options.PersistInterval);
        options.ShutdownTimeout = reader.TimeSpan(nameof(MixpanelOptions.ShutdownTimeout), options.ShutdownTimeout);
        options.RequestTimeout = reader.TimeSpan(nameof(MixpanelOptions.RequestTimeout), options.RequestTimeout);
        options.UseGzip = reader.Boolean(nameof(MixpanelOptions.UseGzip), options.UseGzip);
        options.UseIpAddressForGeolocation = reader.Boolean(nameof(MixpanelOptions.UseIpAddressForGeolocation), options.UseIpAddressForGeolocation);
    }

    private static bool Matches(string value, string name) => string.Equals(value.Trim(), name, StringComparison.OrdinalIgnoreCase);

    private readonly struct Reader(IConfiguration configuration, List<string>? errors)
    {
        // Messages name the key as the app wrote it, with its section ("Mixpanel:BatchSize"), so that it can be found
        // in appsettings.json or as the environment variable Mixpanel__BatchSize.
        private readonly string _prefix = configuration is IConfigurationSection { Path.Length: > 0 } section ? section.Path + ":" : string.Empty;

        // JSON null and an empty environment variable both arrive as an empty string: the setting is left at its default.
        public string? Text(string key) => configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

        public int Int32(string key, int current)
        {
            var text = Text(key);
            if (text is null)
            {
                return current;
            }

            if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            Fail(key, text, "not a whole number");
            return current;
        }

        public long Int64(string key, long current)
        {
            var text = Text(key);
            if (text is null)
            {
                return current;
            }

            if (long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            Fail(key, text, "not a whole number");
            return current;
        }

        public TimeSpan TimeSpan(string key, TimeSpan current)
        {
            var text = Text(key);
            if (text is null)
            {
                return current;
            }

            // A bare number would parse as a count of days ("10" is ten days); a colon is required so that a
            // setting meant as seconds is reported rather than taken as days.
            if (text.AsSpan().IndexOf(':') >= 0 && System.TimeSpan.TryParse(text.Trim(), CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            Fail(key, text, "not a time span in the form hours:minutes:seconds, such as 00:00:10 for ten seconds");
            return current;
        }

        public bool Boolean(string key, bool current)
        {
            var text = Text(key);
            if (text is null)
            {
                return current;
            }

            if (bool.TryParse(text.Trim(), out var value))
            {
                return value;
            }

            Fail(key, text, "not true or false");
            return current;
        }

        public void Fail(string key, string text, string problem) =>
            errors?.Add($"The configuration value {_prefix}{key} ('{text}') is {problem}.");
    }
}
