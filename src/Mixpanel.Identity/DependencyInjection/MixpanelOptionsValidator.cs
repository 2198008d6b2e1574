using Microsoft.Extensions.Options;

namespace Mixpanel.Identity.DependencyInjection;

/// <summary>Checks the options once, at start-up, with the same rules and messages as the client's constructor.</summary>
internal sealed class MixpanelOptionsValidator : IValidateOptions<MixpanelOptions>
{
    public ValidateOptionsResult Validate(string? name, MixpanelOptions options)
    {
        // The client is built from the default (unnamed) options only.
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
