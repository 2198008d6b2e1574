namespace Mixpanel.Identity.Storage;

/// <summary>
/// A storage directory taken by one client in this process, until it is disposed: a second client on the same
/// directory would be a second owner of one identity and one queue slot. Taken when the client is made, before it
/// touches the directory, so that the mistake is an exception at the constructor.
/// </summary>
internal sealed class DirectoryClaim : IDisposable
{
    private static readonly HashSet<string> Claimed = new(UnixPermissions.IsUnix ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);

    private int _released;

    private DirectoryClaim(string directory) => Directory = directory;

    /// <summary>The directory claimed.</summary>
    public string Directory { get; }

    /// <summary>Claims <paramref name="directory"/> for one client.</summary>
    /// <exception cref="InvalidOperationException">Another client in this process has claimed it.</exception>
    public static DirectoryClaim Take(string directory)
    {
        lock (Claimed)
        {
            if (!Claimed.Add(directory))
            {
                throw new InvalidOperationException(
                    $"Another MixpanelClient in this process is already using the storage directory '{directory}'. Use one client per " +
                    "directory (register it as a singleton), or give each client its own MixpanelOptions.StorageDirectory.");
            }
        }

        return new DirectoryClaim(directory);
    }

    /// <summary>Lets another client in this process use the directory; once, however often it is called.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            lock (Claimed)
            {
                Claimed.Remove(Directory);
            }
        }
    }
}
