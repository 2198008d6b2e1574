using Mixpanel.Identity.Compatibility;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity;

/// <summary>
/// One historical event for <see cref="MixpanelServerClient.ImportAsync(IAsyncEnumerable{MixpanelImportEvent}, IProgress{MixpanelImportProgress}?, CancellationToken)"/>:
/// who did what, and when. Checked when it is made, so that a bad event is the caller's <see cref="ArgumentException"/>.
/// </summary>
public sealed class MixpanelImportEvent
{
    /// <summary>Creates an event to import.</summary>
    /// <param name="name">The event name.</param>
    /// <param name="distinctId">Whose event: a user id, or <c>$device:</c> + a device id.</param>
    /// <param name="time">When it happened: after 1971, and not more than an hour ahead of now.</param>
    /// <param name="properties">The event's properties. <c>$device_id</c> and <c>$user_id</c> may be among them, as under Simplified ID Merge.</param>
    /// <param name="insertId">
    /// The id Mixpanel deduplicates on (at most 36 characters of <c>[A-Za-z0-9-]</c>). Without one, the importer derives
    /// one from the event's content, so that importing the same history again adds nothing; two events equal in every
    /// property and in time to the millisecond are then one.
    /// </param>
    /// <exception cref="ArgumentException">The name, id, time or a property is one Mixpanel would refuse.</exception>
    public MixpanelImportEvent(string name, string distinctId, DateTimeOffset time, IReadOnlyDictionary<string, object?>? properties = null, string? insertId = null)
    {
        EventProperties.RequireName(name, nameof(name));
        Guard.NotNull(distinctId);
        if (!DistinctIds.IsAcceptableDistinctId(distinctId))
        {
            throw new ArgumentException("The distinct id must be a non-empty id, and not a placeholder such as 'null' or 'anonymous'.", nameof(distinctId));
        }

        if (time.ToUnixTimeMilliseconds() < MixpanelLimits.MinEventTimeMilliseconds)
        {
            throw new ArgumentException("Mixpanel refuses events from before 1971.", nameof(time));
        }

        // Checked against this machine's clock when the event is made; by the time it is sent it is only nearer.
        if (time > TimeProvider.System.GetUtcNow() + MixpanelLimits.MaxEventTimeAhead)
        {
            throw new ArgumentException(
                $"Mixpanel refuses events more than {MixpanelLimits.MaxEventTimeAhead.TotalHours:0} hour ahead of now; this one is at {time:O}.", nameof(time));
        }

        var snapshot = PropertyValues.Snapshot(properties, nameof(properties));
        if (snapshot.ContainsKey(ReservedNames.Token))
        {
            throw new ArgumentException("'token' is not sent to /import: the import's credentials name the project.", nameof(properties));
        }

        foreach (var reserved in ImportedNames)
        {
            if (snapshot.ContainsKey(reserved))
            {
                throw new ArgumentException($"'{reserved}' is set by the importer from this event's own arguments.", nameof(properties));
            }
        }

        if (insertId is not null && !EventProperties.IsValidInsertId(insertId))
        {
            throw new ArgumentException(
                $"An insert id must be at most {MixpanelLimits.MaxInsertIdLength} characters from [A-Za-z0-9-].", nameof(insertId));
        }

        Name = name;
        DistinctId = distinctId;
        Time = time;
        InsertId = insertId;
        Snapshot = snapshot;
    }

    /// <summary>The event name.</summary>
    public string Name { get; }

    /// <summary>Whose event.</summary>
    public string DistinctId { get; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>The event's properties.</summary>
    public IReadOnlyDictionary<string, object?> Properties => Snapshot;

    /// <summary>The insert id given; null when the importer derives one.</summary>
    public string? InsertId { get; }

    internal PropertyMap Snapshot { get; }

    private static readonly string[] ImportedNames = [ReservedNames.Time, ReservedNames.DistinctId, ReservedNames.InsertId];
}

/// <summary>How far an import has come: told after each request Mixpanel answered.</summary>
/// <param name="Imported">Events Mixpanel has taken so far.</param>
/// <param name="Rejected">Events refused so far (by Mixpanel, or by the importer as larger than Mixpanel takes).</param>
public readonly record struct MixpanelImportProgress(long Imported, long Rejected);

/// <summary>One event an import could not deliver, and why.</summary>
/// <param name="Index">Its position in the events given, from 0.</param>
/// <param name="EventName">Its name.</param>
/// <param name="InsertId">The insert id it was sent with.</param>
/// <param name="Reason">What Mixpanel said of it (its <c>strict=1</c> answer), or why the importer could not send it.</param>
public sealed record MixpanelImportFailure(long Index, string EventName, string InsertId, string Reason);

/// <summary>What an import did.</summary>
/// <param name="Imported">Events Mixpanel took.</param>
/// <param name="Rejected">Events refused; each is in <paramref name="Failures"/>, up to <see cref="MaxFailures"/> of them.</param>
/// <param name="Failures">The refused events with their reasons, in the order Mixpanel answered.</param>
public sealed record MixpanelImportResult(long Imported, long Rejected, IReadOnlyList<MixpanelImportFailure> Failures)
{
    /// <summary>The most failures a result lists; <see cref="Rejected"/> counts every one.</summary>
    public const int MaxFailures = 10_000;
}
