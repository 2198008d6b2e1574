namespace Mixpanel.Identity.Delivery;

/// <summary>
/// When records move on: a pure rule for each of the engine's two decisions, so both are tested exactly and made in
/// one place.
/// </summary>
internal static class BatchTrigger
{
    /// <summary>
    /// Whether an endpoint sends now: a full batch is stored, or a flush (the app's, the interval's, disposal's) wants
    /// what is stored sent.
    /// </summary>
    /// <param name="stored">Records stored and not yet sent.</param>
    /// <param name="batchSize">Records per request.</param>
    /// <param name="flushing">Whether a flush is waiting for this endpoint's records.</param>
    public static bool ShouldSend(long stored, int batchSize, bool flushing) => stored >= batchSize || (flushing && stored > 0);

    /// <summary>
    /// Whether records waiting in memory are written to disk now rather than gathered longer: a disk flush costs the
    /// same for one record as for thousands, so they gather until <see cref="MixpanelOptions.PersistInterval"/> has
    /// passed, unless a flush waits for them, their bytes fill a write, or an idle endpoint has a batch's worth.
    /// </summary>
    /// <param name="waiting">Records waiting in memory.</param>
    /// <param name="waitingBytes">Their bytes.</param>
    /// <param name="maxGroupBytes">Bytes written in one go.</param>
    /// <param name="intervalPassed">Whether the oldest has waited <see cref="MixpanelOptions.PersistInterval"/>.</param>
    /// <param name="flushing">Whether a flush (or stop) waits for them.</param>
    /// <param name="idleEndpointHasBatch">Whether an endpoint with nothing on the wire would have a full batch with them.</param>
    public static bool ShouldCommit(int waiting, int waitingBytes, int maxGroupBytes, bool intervalPassed, bool flushing, bool idleEndpointHasBatch) =>
        waiting > 0 && (intervalPassed || flushing || waitingBytes >= maxGroupBytes || idleEndpointHasBatch);
}
