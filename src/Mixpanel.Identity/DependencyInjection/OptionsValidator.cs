using Microsoft.Extensions.Options;

namespace Mixpanel.Identity.DependencyInjection;

/// <summary>
/// Checks options once, at start-up, with the same rules and messages as the code that takes them, reporting every
/// problem at once.
/// </summary>
internal sealed class OptionsValidator<TOptions>(Func<TOptions, IReadOnlyList<string>> validate) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        // Clients are built from the default (unnamed) options only.
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = validate(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
