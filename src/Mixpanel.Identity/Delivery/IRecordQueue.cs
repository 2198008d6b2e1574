using Mixpanel.Identity.Identity;
using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// Where the client hands its records: accepted at once on the caller's thread, written and delivered in the
/// background. Identity saves and opt-out purges travel the same way, so they happen in order with the records.
/// </summary>
internal interface IRecordQueue : IAsyncDisposable
{
    /// <summary>Whether records are kept on disk, and whether delivery has halted.</summary>
    DeliveryStatus Status { get; }

    /// <summary>Accepts a record; false when the backlog in memory is full (the caller counts the drop).</summary>
    bool TryEnqueue(PendingRecord record);

    /// <summary>Saves the identity once the records enqueued before it are stored.</summary>
    void SaveIdentity(IdentityState state);

    /// <summary>
    /// Drops every record enqueued before, every record made under an earlier opt-out generation, and every record
    /// stored and not yet sent (including a batch being sent).
    /// </summary>
    void Purge(int optOutGeneration);

    /// <summary>Completes when the records enqueued before the call are stored.</summary>
    Task PersistAsync(CancellationToken cancellationToken);

    /// <summary>Completes when the records enqueued before the call are delivered or dropped.</summary>
    Task FlushAsync(CancellationToken cancellationToken);

    /// <summary>Delivers what it can within <paramref name="timeout"/>, then stops; what is left stays stored.</summary>
    Task ShutdownAsync(TimeSpan timeout);
}
