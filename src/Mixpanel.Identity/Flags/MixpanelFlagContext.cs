using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity;

/// <summary>
/// Who a flag is evaluated for: the distinct id, the device id, the groups they belong to and the custom properties a
/// flag's runtime rules read. A server makes one per request, best from the request's visitor
/// (<see cref="ForVisitor"/>), so that the exposure event carries the visitor's identity.
/// </summary>
public sealed class MixpanelFlagContext
{
    /// <summary>Creates a context.</summary>
    /// <param name="distinctId">The distinct id the person's events carry.</param>
    /// <exception cref="ArgumentException">The id is null or empty.</exception>
    public MixpanelFlagContext(string distinctId)
    {
        if (string.IsNullOrEmpty(distinctId))
        {
            throw new ArgumentException("A flag context needs the distinct id the person's events carry.", nameof(distinctId));
        }

        DistinctId = distinctId;
    }

    /// <summary>The distinct id: what flags assigned by <c>distinct_id</c> hash, and what QA test users are listed by.</summary>
    public string DistinctId { get; }

    /// <summary>The device id (without Mixpanel's <c>$device:</c> prefix), for flags assigned by <c>device_id</c>.</summary>
    /// <value>The default value is null.</value>
    public string? DeviceId { get; init; }

    /// <summary>Group key to group id, for flags assigned by a group (a company, a team).</summary>
    public IDictionary<string, string> Groups { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Properties the flags' runtime rules read (plan, country, app version…): strings, numbers, booleans, null, lists
    /// and dictionaries. Rules compare them lower-cased, as Mixpanel does.
    /// </summary>
    public IDictionary<string, object?> CustomProperties { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The visitor the context was made from; their exposure events go out as their other events do.</summary>
    internal MixpanelVisitor? Visitor { get; private init; }

    /// <summary>The context of a server's visitor: their distinct id and device id, and exposures tracked as them.</summary>
    /// <param name="visitor">The visitor.</param>
    public static MixpanelFlagContext ForVisitor(MixpanelVisitor visitor)
    {
        Guard.NotNull(visitor);
        return new MixpanelFlagContext(visitor.DistinctId) { DeviceId = visitor.DeviceId, Visitor = visitor };
    }

    /// <summary>
    /// The visitor an exposure is tracked as: the one the context was made from; else the device id as the anonymous
    /// visitor (when the distinct id is its <c>$device:</c> id) or signed in as the distinct id; without a device id, the
    /// distinct id stands for both.
    /// </summary>
    /// <exception cref="ArgumentException">An id is one Mixpanel would refuse.</exception>
    internal MixpanelVisitor ToVisitor()
    {
        if (Visitor is { } visitor)
        {
            return visitor;
        }

        var anonymous = DistinctId.StartsWith(DistinctIds.DevicePrefix, StringComparison.Ordinal) ? DistinctId.Substring(DistinctIds.DevicePrefix.Length) : null;
        return DeviceId is { } deviceId
            ? (anonymous == deviceId ? new MixpanelVisitor(deviceId) : new MixpanelVisitor(deviceId, DistinctId))
            : anonymous is not null ? new MixpanelVisitor(anonymous) : new MixpanelVisitor(DistinctId, DistinctId);
    }
}
