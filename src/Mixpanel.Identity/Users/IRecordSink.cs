using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Users;

/// <summary>
/// Where the identity hands what its calls produce: records, identity changes and opt-out purges, taken in the order
/// given. The one way out of this folder; the delivery engine implements it.
/// </summary>
internal interface IRecordSink
{
    /// <summary>Accepts a record, counting it; or drops it, counting why (the queue is at its bounds, the client is stopping).</summary>
    void Enqueue(PendingRecord record);

    /// <summary>Saves a change of identity once the records given before it are stored; the session hears of it through <see cref="IdentitySession.OnSaved"/>.</summary>
    void Change(IdentityChange change);

    /// <summary>
    /// The user opted out: drops every record given before, every record made under an earlier opt-out generation,
    /// and every record stored and not yet delivered, including a batch being sent.
    /// </summary>
    void Purge(int optOutGeneration);

    /// <summary>
    /// Another process changed the stored identity: read it off the app's thread, and hand it to
    /// <see cref="IdentitySession.OnStoredChange"/>.
    /// </summary>
    void CatchUp();
}
