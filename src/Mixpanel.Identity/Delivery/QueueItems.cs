using Mixpanel.Identity.Identity;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// What travels from the app's threads to the background writer, in order: records, and the markers that must be
/// handled in order with them (an identity to save, an opt-out purge, a flush).
/// </summary>
/// <remarks>Records are queue items themselves (<see cref="Payloads.PendingRecord"/>), so tracking allocates no wrapper.</remarks>
internal abstract class QueueItem
{
}

/// <summary>The identity as it is after the records enqueued before it: saved once they are on disk.</summary>
internal sealed class IdentityItem : QueueItem
{
    public IdentityItem(IdentityState state) => State = state;

    public IdentityState State { get; }
}

/// <summary>The user opted out: every record enqueued before, or made before the opt-out, is dropped.</summary>
internal sealed class PurgeItem : QueueItem
{
    public PurgeItem(int optOutGeneration) => OptOutGeneration = optOutGeneration;

    /// <summary>Records made under an earlier generation are dropped when they arrive.</summary>
    public int OptOutGeneration { get; }
}

/// <summary>
/// Completes when the records enqueued before it are on disk (<see cref="Deliver"/> false) or delivered or dropped
/// (<see cref="Deliver"/> true). Without a completion it only asks for a commit and a send.
/// </summary>
internal sealed class FlushItem : QueueItem
{
    public FlushItem(bool deliver, TaskCompletionSource<bool>? completion)
    {
        Deliver = deliver;
        Completion = completion;
    }

    public bool Deliver { get; }

    public TaskCompletionSource<bool>? Completion { get; }
}
