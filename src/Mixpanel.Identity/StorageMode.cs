namespace Mixpanel.Identity;

/// <summary>Where the client keeps the identity and the records waiting to be sent.</summary>
public enum StorageMode
{
    /// <summary>
    /// On disk under <see cref="MixpanelOptions.StorageDirectory"/>: the identity survives restarts and no accepted
    /// record is lost to a crash. The default.
    /// </summary>
    Disk = 0,

    /// <summary>
    /// In memory only, for processes with no writable disk: a new device id every start, and records still queued at
    /// exit are lost.
    /// </summary>
    Memory = 1,
}
