namespace Mixpanel.Identity;

/// <summary>Why a record was dropped instead of delivered. Every drop is counted in <see cref="MixpanelDiagnostics"/>.</summary>
public enum DropReason
{
    /// <summary>The queue reached <see cref="MixpanelOptions.MaxQueueSize"/> or <see cref="MixpanelOptions.MaxQueueBytes"/> and the oldest records made room.</summary>
    QueueFull = 0,

    /// <summary>The event was older than the 5 days Mixpanel's <c>/track</c> endpoint accepts.</summary>
    Expired = 1,

    /// <summary>Mixpanel refused the record as invalid (HTTP 400); the reason is logged.</summary>
    Rejected = 2,

    /// <summary>The record was too large for Mixpanel on its own (over 1 MB, or HTTP 413 for a single record).</summary>
    TooLarge = 3,

    /// <summary>The user had opted out of tracking: the record was made while opted out, or was pending when they opted out.</summary>
    OptedOut = 4,

    /// <summary>A profile update held while anonymous was discarded by <see cref="MixpanelClient.Reset"/>.</summary>
    Reset = 5,

    /// <summary>The record was unreadable on disk (a write torn by a crash or power loss).</summary>
    Corrupt = 6,

    /// <summary>The record was made after the client was disposed.</summary>
    Disposed = 7,

    /// <summary>The profile operation needs an identified user (<see cref="MixpanelPeople.DeleteUser"/> while anonymous).</summary>
    NotIdentified = 8,

    /// <summary>A <c>BeforeSend</c> hook of the options dropped the record (it returned null).</summary>
    Filtered = 9,

    /// <summary>A <c>BeforeSend</c> hook threw; the record was dropped rather than sent unfiltered, and the exception logged.</summary>
    HookFailed = 10,

    /// <summary>
    /// The event was of a server's visitor whose user agent is a crawler or an HTTP tool and who is not signed in: not a
    /// person (servers built with Mixpanel.Identity.AspNetCore skip these unless told to track crawlers).
    /// </summary>
    Crawler = 11,

    /// <summary>The client was made with <see cref="MixpanelOptions.Enabled"/> false: it records nothing.</summary>
    Disabled = 12,

    /// <summary>
    /// The client failed to start (a fault of its own, logged as critical; a failing disk is not one: the client then
    /// keeps its records in memory): the calls made while it was starting, and every call after, record nothing.
    /// </summary>
    StartFailed = 13,
}
