using System.Security;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Storage;
using Mixpanel.Identity.Users;

namespace Mixpanel.Identity;

/// <summary>Where a client keeps its identity and queue: the directory made ready, or memory when there is none safe to use.</summary>
internal static class ClientStorage
{
    /// <summary>The storage directory (or <paramref name="subfolder"/> of it), made ready; null (memory, logged) when there is none safe to use.</summary>
    public static string? Prepare(MixpanelOptions options, ILogger logger, string? subfolder = null) =>
        Resolve(options, logger, subfolder) is { } directory ? Prepare(directory, logger) : null;

    /// <summary>Where the storage directory (or <paramref name="subfolder"/> of it) is, without touching the disk; null (memory, logged) when there is none.</summary>
    public static string? Resolve(MixpanelOptions options, ILogger logger, string? subfolder = null)
    {
        try
        {
            var directory = options.GetStorageDirectory();
            return subfolder is null ? directory : Path.Combine(directory, subfolder);
        }
        catch (InvalidOperationException exception)
        {
            Log.StorageUnavailable(logger, "(none)", exception);
            return null;
        }
    }

    /// <summary><paramref name="directory"/>, made ready; null (memory, logged) when it is not safe to use.</summary>
    public static string? Prepare(string directory, ILogger logger)
    {
        try
        {
            if (StorageLocation.Prepare(directory) is { } refusal)
            {
                Log.StorageRefused(logger, directory, refusal);
                return null;
            }

            return directory;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException or SecurityException or ArgumentException)
        {
            Log.StorageUnavailable(logger, directory, exception);
            return null;
        }
    }

    /// <summary>
    /// The identity store and the identity in it (made now if there is none). An unusable directory or an identity
    /// that cannot be read never stops the app, and is never overwritten: identity and queue live in memory for this
    /// process.
    /// </summary>
    public static (IdentityStore Store, IdentityState State) OpenIdentity(string? directory, TimeProvider clock, ILogger logger, Func<IdentityState> create)
    {
        if (directory is not null)
        {
            try
            {
                var store = IdentityStore.OpenOnDisk(directory, clock, logger);
                using (store.Lock())
                {
                    return (store, store.ReadOrCreate(create));
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or NotSupportedException or SecurityException)
            {
                Log.StorageUnavailable(logger, directory, exception);
            }
        }

        var memory = IdentityStore.InMemory(clock, logger);
        return (memory, memory.ReadOrCreate(create));
    }
}
