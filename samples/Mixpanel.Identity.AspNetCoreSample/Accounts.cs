using System.Collections.Concurrent;
using System.Globalization;

namespace Mixpanel.Identity.AspNetCoreSample;

/// <summary>The shop's accounts, in memory: a user name and the user id Mixpanel knows the user by (the database key).</summary>
public sealed class Accounts
{
    private readonly ConcurrentDictionary<string, string> _userIds = new(StringComparer.OrdinalIgnoreCase);
    private int _lastKey = 1000;

    /// <summary>The new account's user id; null when the name is taken.</summary>
    public string? Create(string userName)
    {
        var userId = "user-" + Interlocked.Increment(ref _lastKey).ToString(CultureInfo.InvariantCulture);
        return _userIds.TryAdd(userName, userId) ? userId : null;
    }

    /// <summary>The user id of the account with this name; null when there is none.</summary>
    public string? Find(string userName) => _userIds.TryGetValue(userName, out var userId) ? userId : null;
}
