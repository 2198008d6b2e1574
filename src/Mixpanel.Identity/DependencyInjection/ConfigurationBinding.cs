using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Mixpanel.Identity.DependencyInjection;

/// <summary>
/// Options read from a configuration section by a hand-written binder: it sets the options, and at start-up it fails
/// validation with a message for every value it could not read.
/// </summary>
internal sealed class ConfigurationBinding<TOptions> : IConfigureOptions<TOptions>, IValidateOptions<TOptions>
    where TOptions : class, new()
{
    private readonly IConfiguration _configuration;
    private readonly Binder _bind;

    private ConfigurationBinding(IConfiguration configuration, Binder bind)
    {
        _configuration = configuration;
        _bind = bind;
    }

    /// <summary>Sets each option whose key has a value; adds a message naming each key it cannot read, when <paramref name="errors"/> is given.</summary>
    internal delegate void Binder(IConfiguration configuration, TOptions options, List<string>? errors);

    /// <summary>Registers the binding of <typeparamref name="TOptions"/> from <paramref name="configuration"/>.</summary>
    public static void Register(IServiceCollection services, IConfiguration configuration, Binder bind)
    {
        var binding = new ConfigurationBinding<TOptions>(configuration, bind);
        services.AddSingleton<IConfigureOptions<TOptions>>(binding);
        services.AddSingleton<IValidateOptions<TOptions>>(binding);
    }

    public void Configure(TOptions options) => _bind(_configuration, options, errors: null);

    // The values were read once already by Configure; reading them again here keeps the binding stateless and costs
    // a dictionary look-up per key, once per process.
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>();
        _bind(_configuration, new TOptions(), errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
