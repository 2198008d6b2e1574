using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity;

/// <summary>An event as a <see cref="MixpanelOptions.BeforeSendEvent"/> hook sees it, before it is queued. Immutable.</summary>
public sealed class MixpanelEvent
{
    /// <summary>Creates an event, as a hook's test may.</summary>
    /// <param name="name">The event's name.</param>
    /// <param name="properties">Its properties: the super properties and the call's own.</param>
    /// <param name="distinctId">Who it is about.</param>
    public MixpanelEvent(string name, IReadOnlyDictionary<string, object?> properties, string distinctId)
    {
        Guard.NotNull(name);
        Guard.NotNull(properties);
        Guard.NotNull(distinctId);
        Name = name;
        Properties = properties;
        DistinctId = distinctId;
    }

    /// <summary>The event's name.</summary>
    public string Name { get; }

    /// <summary>Its properties: the super properties, then the call's own over them. The client adds its automatic ones after the hook.</summary>
    public IReadOnlyDictionary<string, object?> Properties { get; }

    /// <summary>Who the event is about: the user id once identified, <c>$device:</c> + device id before. A hook cannot change it.</summary>
    public string DistinctId { get; }

    /// <summary>The same event with another name or other properties (checked as <c>Track</c> checks them when the hook returns).</summary>
    /// <param name="name">The new name, or null to keep it.</param>
    /// <param name="properties">The new properties, or null to keep them.</param>
    public MixpanelEvent With(string? name = null, IReadOnlyDictionary<string, object?>? properties = null) =>
        new(name ?? Name, properties ?? Properties, DistinctId);
}

/// <summary>What a UI app knows of its device, sent with every event (see <see cref="MixpanelOptions.DeviceInfo"/>).</summary>
public sealed class MixpanelDeviceInfo
{
    /// <summary>The screen's width in pixels: <c>$screen_width</c>.</summary>
    public int? ScreenWidth { get; init; }

    /// <summary>The screen's height in pixels: <c>$screen_height</c>.</summary>
    public int? ScreenHeight { get; init; }

    /// <summary>The screen's density in dots per inch: <c>$screen_dpi</c>.</summary>
    public int? ScreenDpi { get; init; }

    /// <summary>Whether the device is on Wi-Fi: <c>$wifi</c>.</summary>
    public bool? Wifi { get; init; }

    internal PropertyMap ToProperties()
    {
        var items = new List<KeyValuePair<string, object?>>(4);
        Add(items, "$screen_width", ScreenWidth);
        Add(items, "$screen_height", ScreenHeight);
        Add(items, "$screen_dpi", ScreenDpi);
        if (Wifi is { } wifi)
        {
            items.Add(new("$wifi", wifi));
        }

        return new PropertyMap([.. items]);

        static void Add(List<KeyValuePair<string, object?>> items, string name, int? value)
        {
            if (value is { } number)
            {
                items.Add(new(name, number));
            }
        }
    }
}
