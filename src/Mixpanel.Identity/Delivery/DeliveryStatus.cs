namespace Mixpanel.Identity.Delivery;

/// <summary>What the delivery engine reports about itself.</summary>
internal readonly record struct DeliveryStatus(bool IsDurable, int? HaltedStatusCode);
