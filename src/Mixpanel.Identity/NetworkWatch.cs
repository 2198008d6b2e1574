using System.Net.NetworkInformation;

namespace Mixpanel.Identity;

/// <summary>
/// The client's subscription to <see cref="NetworkChange.NetworkAvailabilityChanged"/>, made on a thread-pool thread:
/// the first subscription in a process starts the platform's watcher (a netlink socket and its thread on Linux), which
/// an app's start-up thread need not wait for. Stopping before the subscription is made leaves nothing subscribed.
/// </summary>
internal sealed class NetworkWatch
{
    private readonly object _gate = new();
    private readonly NetworkAvailabilityChangedEventHandler _handler;
    private bool _subscribed;
    private bool _stopped;

    public NetworkWatch(Action onAvailable) =>
        _handler = (_, e) =>
        {
            if (e.IsAvailable)
            {
                onAvailable();
            }
        };

    public void Start() => ThreadPool.UnsafeQueueUserWorkItem(static watch => ((NetworkWatch)watch!).Subscribe(), this);

    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            if (_subscribed)
            {
                NetworkChange.NetworkAvailabilityChanged -= _handler;
                _subscribed = false;
            }
        }
    }

    private void Subscribe()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            try
            {
                NetworkChange.NetworkAvailabilityChanged += _handler;
                _subscribed = true;
            }
#pragma warning disable CA1031 // A platform without network notifications: the client retries on its backoff instead, and nothing escapes this thread.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }
}
