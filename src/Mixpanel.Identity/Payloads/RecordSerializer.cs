using System.Text.Json;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Payloads;

/// <summary>
/// Turns pending records into the JSON objects Mixpanel's ingestion API takes. Runs on the background writer, once
/// per record: the <c>$insert_id</c> it assigns is stored with the record and sent unchanged on every retry.
/// </summary>
internal sealed class RecordSerializer
{
    internal static readonly JsonEncodedText EventName = JsonEncodedText.Encode("event");
    internal static readonly JsonEncodedText PropertiesName = JsonEncodedText.Encode("properties");
    internal static readonly JsonEncodedText TokenName = JsonEncodedText.Encode(ReservedNames.Token);
    internal static readonly JsonEncodedText DistinctIdName = JsonEncodedText.Encode(ReservedNames.DistinctId);
    internal static readonly JsonEncodedText TimeName = JsonEncodedText.Encode(ReservedNames.Time);
    internal static readonly JsonEncodedText InsertIdName = JsonEncodedText.Encode(ReservedNames.InsertId);
    private static readonly JsonEncodedText LibName = JsonEncodedText.Encode(ReservedNames.Library);
    private static readonly JsonEncodedText LibVersionName = JsonEncodedText.Encode(ReservedNames.LibraryVersion);
    private static readonly JsonEncodedText OsName = JsonEncodedText.Encode(ReservedNames.OperatingSystem);
    private static readonly JsonEncodedText DeviceIdName = JsonEncodedText.Encode(ReservedNames.DeviceId);
    private static readonly JsonEncodedText UserIdName = JsonEncodedText.Encode(ReservedNames.UserId);
    private static readonly JsonEncodedText DurationName = JsonEncodedText.Encode(ReservedNames.Duration);
    private static readonly JsonEncodedText ProfileTokenName = JsonEncodedText.Encode(ReservedNames.ProfileToken);
    private static readonly JsonEncodedText ProfileDistinctIdName = JsonEncodedText.Encode(ReservedNames.ProfileDistinctId);
    private static readonly JsonEncodedText ProfileIpName = JsonEncodedText.Encode(ReservedNames.ProfileIp);
    private static readonly JsonEncodedText GroupKeyName = JsonEncodedText.Encode(ReservedNames.GroupKey);
    private static readonly JsonEncodedText GroupIdName = JsonEncodedText.Encode(ReservedNames.GroupId);

    private static readonly JsonEncodedText LibValue = JsonEncodedText.Encode(LibraryInfo.LibraryName);

    private readonly JsonEncodedText _token;
    private readonly JsonEncodedText _libVersion;
    private readonly JsonEncodedText? _os;
    private readonly HashSet<string>? _excluded;
    private PropertyMap _defaults = PropertyMap.Empty;
    private JsonEncodedText[] _defaultNames = [];

    // The identity events were last written under, encoded once: it changes on Identify, Reset and Register, while
    // thousands of events are written under each.
    private IdentityText? _identity;

    public RecordSerializer(string token, LibraryInfo library, IEnumerable<string>? excluded = null)
    {
        _token = JsonEncodedText.Encode(token);
        _libVersion = JsonEncodedText.Encode(library.Version);
        _os = library.OperatingSystem is { } os ? JsonEncodedText.Encode(os) : null;

        // The names the client needs on every event are never left out.
        var names = excluded?.Where(static name => !ReservedNames.ManagedEventProperties.Contains(name)).ToList();
        _excluded = names is { Count: > 0 } ? new HashSet<string>(names, StringComparer.Ordinal) : null;
    }

    /// <summary>The default properties every event carries (unless the call or a super property sets them); the writer's own.</summary>
    public PropertyMap Defaults
    {
        get => _defaults;
        set
        {
            _defaults = value;
            _defaultNames = [.. value.Keys.Select(static name => JsonEncodedText.Encode(name, JsonValues.WriterOptions.Encoder))];
        }
    }

    public void Write(Utf8JsonWriter writer, PendingRecord record)
    {
        switch (record)
        {
            case EventRecord eventRecord:
                WriteEvent(writer, eventRecord);
                break;
            case ProfileRecord profile:
                writer.WriteStartObject();
                writer.WriteString(ProfileTokenName, _token);
                writer.WriteString(ProfileDistinctIdName, profile.UserId);
                writer.WriteString(DeviceIdName, profile.DeviceId);
                writer.WriteString(UserIdName, profile.UserId);
                if (profile.Ip is { } ip)
                {
                    writer.WriteString(ProfileIpName, ip);
                }

                WriteOperation(writer, profile.Update);
                writer.WriteEndObject();
                break;
            case GroupRecord group:
                writer.WriteStartObject();
                writer.WriteString(ProfileTokenName, _token);
                writer.WriteString(GroupKeyName, group.GroupKey);
                writer.WritePropertyName(GroupIdName);
                JsonValues.Write(writer, group.GroupId);
                WriteOperation(writer, group.Update);
                writer.WriteEndObject();
                break;
            default:
                throw new InvalidOperationException($"Unknown record type {record.GetType().Name}.");
        }
    }

    private void WriteOperation(Utf8JsonWriter writer, ProfileUpdate update)
    {
        writer.WritePropertyName(ProfileUpdate.WireName(update.Operation));
        if (update.Operation == ProfileOperation.Delete)
        {
            writer.WriteStringValue(string.Empty);
        }
        else if (update.Operation is ProfileOperation.Set or ProfileOperation.SetOnce && update.Payload is PropertyMap properties &&
                 !properties.ContainsKey(ReservedNames.LibraryVersion))
        {
            // As Mixpanel's mobile SDKs do, a profile says which library version last set it.
            writer.WriteStartObject();
            foreach (var item in properties.Items)
            {
                writer.WritePropertyName(item.Key);
                JsonValues.Write(writer, item.Value);
            }

            writer.WriteString(LibVersionName, _libVersion);
            writer.WriteEndObject();
        }
        else
        {
            JsonValues.Write(writer, update.Payload);
        }
    }

    private void WriteEvent(Utf8JsonWriter writer, EventRecord record)
    {
        var call = record.Properties;
        var identity = record.Identity;
        var super = identity.SuperProperties;
        var text = Encoded(identity);
        var overrides = new Overrides(call, MayOverrideAutomatic(call), super, text.SuperMayOverrideAutomatic);

        writer.WriteStartObject();
        writer.WritePropertyName(EventName);
        writer.WriteStringValue(JsonValues.Truncate(record.Name));
        writer.WritePropertyName(PropertiesName);
        writer.WriteStartObject();

        // Automatic properties first, each only where neither super properties nor the call set it.
        if (overrides.IsFree(TokenName))
        {
            writer.WriteString(TokenName, _token);
        }

        if (overrides.IsFree(DistinctIdName))
        {
            writer.WriteString(DistinctIdName, text.DistinctId);
        }

        if (overrides.IsFree(TimeName))
        {
            writer.WriteNumber(TimeName, record.TimeMilliseconds);
        }

        if (overrides.IsFree(InsertIdName))
        {
            // A UUID in its 36-character form: exactly Mixpanel's limit of 36 characters of [A-Za-z0-9-].
            writer.WriteString(InsertIdName, InsertIds.Next());
        }

        if (overrides.IsFree(LibName) && IsSent(LibName))
        {
            writer.WriteString(LibName, LibValue);
        }

        if (overrides.IsFree(LibVersionName) && IsSent(LibVersionName))
        {
            writer.WriteString(LibVersionName, _libVersion);
        }

        if (_os is { } os && overrides.IsFree(OsName) && IsSent(OsName))
        {
            writer.WriteString(OsName, os);
        }

        var defaults = _defaults.Items;
        for (var i = 0; i < defaults.Length; i++)
        {
            if (overrides.IsFree(_defaultNames[i]) && IsSent(_defaultNames[i]))
            {
                writer.WritePropertyName(_defaultNames[i]);
                JsonValues.Write(writer, defaults[i].Value);
            }
        }

        if (overrides.IsFree(DeviceIdName))
        {
            writer.WriteString(DeviceIdName, text.DeviceId);
        }

        if (text.UserId is { } userId && overrides.IsFree(UserIdName))
        {
            writer.WriteString(UserIdName, userId);
        }

        if (record.DurationSeconds is { } duration && overrides.IsFree(DurationName) && IsSent(DurationName))
        {
            writer.WriteNumber(DurationName, duration);
        }

        var superItems = super.Items;
        for (var i = 0; i < superItems.Length; i++)
        {
            if (!call.ContainsKey(superItems[i].Key) && IsSent(superItems[i].Key))
            {
                writer.WritePropertyName(text.SuperNames[i]);
                JsonValues.Write(writer, superItems[i].Value);
            }
        }

        foreach (var item in call.Items)
        {
            if (IsSent(item.Key))
            {
                writer.WritePropertyName(item.Key);
                JsonValues.Write(writer, item.Value);
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private bool IsSent(JsonEncodedText name) => _excluded is null || !_excluded.Contains(name.Value);

    private bool IsSent(string name) => _excluded is null || !_excluded.Contains(name);

    private IdentityText Encoded(EventIdentity identity)
    {
        // Several threads may serialize at once; each sees a whole IdentityText, for this identity or another.
        var text = Volatile.Read(ref _identity);
        if (text is null || !ReferenceEquals(text.State, identity))
        {
            text = new IdentityText(identity);
            Volatile.Write(ref _identity, text);
        }

        return text;
    }

    /// <summary>
    /// Whether a property could take the place of an automatic one. All of those start with <c>$</c> but four, so for
    /// the usual properties one look at the first character settles it.
    /// </summary>
    private static bool MayOverrideAutomatic(PropertyMap properties)
    {
        foreach (var item in properties.Items)
        {
            var key = item.Key;
            if (key.Length > 0 && (key[0] == '$' || key is ReservedNames.Token or ReservedNames.DistinctId or ReservedNames.Time or ReservedNames.Library))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The call's and the super properties, looked into only when they may set an automatic property.</summary>
    private readonly struct Overrides
    {
        private readonly PropertyMap _call;
        private readonly PropertyMap _super;
        private readonly bool _callMay;
        private readonly bool _superMay;

        public Overrides(PropertyMap call, bool callMay, PropertyMap super, bool superMay)
        {
            _call = call;
            _callMay = callMay;
            _super = super;
            _superMay = superMay;
        }

        public bool IsFree(JsonEncodedText name)
        {
            var key = name.Value;
            return !(_callMay && _call.ContainsKey(key)) && !(_superMay && _super.ContainsKey(key));
        }
    }

    /// <summary>One identity's strings and super property names, encoded for JSON as the writer would encode them.</summary>
    private sealed class IdentityText
    {
        public IdentityText(EventIdentity state)
        {
            var encoder = JsonValues.WriterOptions.Encoder;
            State = state;
            DistinctId = JsonEncodedText.Encode(state.DistinctId, encoder);
            DeviceId = JsonEncodedText.Encode(state.DeviceId, encoder);
            UserId = state.UserId is { } userId ? JsonEncodedText.Encode(userId, encoder) : null;
            var items = state.SuperProperties.Items;
            SuperNames = new JsonEncodedText[items.Length];
            for (var i = 0; i < items.Length; i++)
            {
                SuperNames[i] = JsonEncodedText.Encode(items[i].Key, encoder);
            }

            SuperMayOverrideAutomatic = MayOverrideAutomatic(state.SuperProperties);
        }

        public EventIdentity State { get; }

        public JsonEncodedText DistinctId { get; }

        public JsonEncodedText DeviceId { get; }

        public JsonEncodedText? UserId { get; }

        public JsonEncodedText[] SuperNames { get; }

        public bool SuperMayOverrideAutomatic { get; }
    }
}
