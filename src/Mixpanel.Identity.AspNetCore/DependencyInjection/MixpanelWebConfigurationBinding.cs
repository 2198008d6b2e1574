using Microsoft.Extensions.Configuration;
using Mixpanel.Identity.DependencyInjection;

namespace Mixpanel.Identity.AspNetCore.DependencyInjection;

/// <summary>
/// Reads <see cref="MixpanelWebOptions"/> from the section that holds <see cref="MixpanelOptions"/>, key by key as the
/// client's own options are read; a value it cannot read fails start-up with a message naming its key.
/// </summary>
internal static class MixpanelWebConfigurationBinding
{
    internal static void Bind(IConfiguration configuration, MixpanelWebOptions options, List<string>? errors)
    {
        var reader = new MixpanelConfigurationBinding.Reader(configuration, errors);
        options.CookieName = reader.Text(nameof(MixpanelWebOptions.CookieName))?.Trim() ?? options.CookieName;
        options.CookieLifetime = reader.Parse(nameof(MixpanelWebOptions.CookieLifetime), options.CookieLifetime, MixpanelConfigurationBinding.ParseTimeSpan, MixpanelConfigurationBinding.NotTimeSpan);
        options.BrowserCookieName = reader.Text(nameof(MixpanelWebOptions.BrowserCookieName))?.Trim() ?? options.BrowserCookieName;
        options.BrowserCookieCrossSubdomain = reader.Parse(nameof(MixpanelWebOptions.BrowserCookieCrossSubdomain), options.BrowserCookieCrossSubdomain, MixpanelConfigurationBinding.ParseBoolean, MixpanelConfigurationBinding.NotBoolean);
        options.UserIdClaimType = reader.Text(nameof(MixpanelWebOptions.UserIdClaimType))?.Trim() ?? options.UserIdClaimType;
        options.PageViewEventName = reader.Text(nameof(MixpanelWebOptions.PageViewEventName))?.Trim() ?? options.PageViewEventName;
        options.TrackCrawlers = reader.Parse(nameof(MixpanelWebOptions.TrackCrawlers), options.TrackCrawlers, MixpanelConfigurationBinding.ParseBoolean, MixpanelConfigurationBinding.NotBoolean);
    }
}
