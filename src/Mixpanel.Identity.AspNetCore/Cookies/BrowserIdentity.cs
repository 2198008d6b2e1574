namespace Mixpanel.Identity.AspNetCore.Cookies;

/// <summary>
/// The identity Mixpanel's browser library keeps for a visitor in its cookie. It is written by the visitor's browser,
/// so anyone can put anything in it: use it to join server-side events to the visitor's browser events, and never as
/// proof of who the visitor is. The signed-in user of the request is the only trustworthy user id.
/// </summary>
/// <param name="DistinctId">
/// The distinct id the browser sends its events under: <c>$device:&lt;device id&gt;</c> while anonymous (library
/// 2.46 and later), the device id itself in earlier versions, or the user id once identified.
/// </param>
/// <param name="DeviceId">The browser's <c>$device_id</c>; null in cookies written before the library kept one.</param>
/// <param name="UserId">The <c>$user_id</c> the browser was identified as; null while anonymous.</param>
internal sealed record BrowserIdentity(string DistinctId, string? DeviceId, string? UserId)
{
    /// <summary>The first-touch <c>$initial_referrer</c> the library keeps (<c>$direct</c> for a typed-in visit); null when absent.</summary>
    public string? InitialReferrer { get; init; }

    /// <summary>The first-touch <c>$initial_referring_domain</c> the library keeps; null when absent.</summary>
    public string? InitialReferringDomain { get; init; }
}
