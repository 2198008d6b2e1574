using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Tests.Testing.Contract;

/// <summary>
/// What a client sent and what its fake recorded, written as the same lines so that they can be compared: one per
/// event, profile update and group update, with the identity fields, the time, and the properties the app gave (the
/// automatic ones, added when the record is sent, left out on both sides).
/// </summary>
internal static class ContractRecords
{
    public const string Token = "contract-token";

    // Added by the client as it sends, or compared on their own (identity fields, time): left out of the property lists.
    private static readonly HashSet<string> AutomaticEventProperties =
        ["token", "time", "distinct_id", "$insert_id", "$device_id", "$user_id", "mp_lib", "$lib_version", "$os"];

    private static readonly string[] ProfileOperations = ["$set", "$set_once", "$add", "$append", "$union", "$remove", "$unset", "$delete"];

    /// <summary>The records as Mixpanel received them, in the order sent, endpoint by endpoint.</summary>
    public static List<string> FromServer(IEnumerable<ReceivedRecord> records)
    {
        var lines = new List<string>();
        foreach (var record in records.OrderBy(static r => r.Endpoint).ThenBy(static r => r.Sequence))
        {
            switch (record.Endpoint)
            {
                case MixpanelEndpoint.Track:
                    var properties = record.Properties.EnumerateObject().Select(static p => (p.Name, p.Value.GetRawText()));
                    lines.Add(Event(record.EventName!, record.DistinctId!, record.DeviceId!, record.UserId, record.Time!.Value, properties));
                    break;
                case MixpanelEndpoint.Engage:
                    var (operation, payload) = OperationOf(record.Json);
                    var ip = record.Json.TryGetProperty("$ip", out var address) ? address.GetString() : null;
                    lines.Add($"engage {record.DistinctId} user={record.UserId} ip={ip} {operation} {payload}");
                    break;
                case MixpanelEndpoint.Groups:
                    var (groupOperation, groupPayload) = OperationOf(record.Json);
                    lines.Add($"groups {record.Json.GetProperty("$group_key").GetString()}={record.Json.GetProperty("$group_id").GetRawText()} {groupOperation} {groupPayload}");
                    break;
            }
        }

        return lines;
    }

    /// <summary>The records a fake kept, in the same lines; profile updates sent from <paramref name="ip"/> (a server's visitor's address).</summary>
    public static List<string> FromFake(
        IEnumerable<TrackedEvent> events, IEnumerable<ProfileUpdateRecord> profileUpdates, IEnumerable<GroupUpdateRecord> groupUpdates, Func<ProfileUpdateRecord, string?>? ip = null)
    {
        var lines = new List<string>();
        lines.AddRange(events.Select(static e => Event(e.Name, e.DistinctId, e.DeviceId, e.UserId, e.Time.ToUnixTimeMilliseconds(), e.Properties.Select(static p => (p.Key, Json(p.Value))))));
        lines.AddRange(profileUpdates.Select(u => $"engage {u.UserId} user={u.UserId} ip={ip?.Invoke(u)} {u.Update.Operation} {Payload(u.Update)}"));
        lines.AddRange(groupUpdates.Select(static g => $"groups {g.GroupKey}={Json(g.GroupId)} {g.Update.Operation} {Payload(g.Update)}"));
        return lines;
    }

    /// <summary>
    /// Runs <paramref name="script"/> on the client <paramref name="create"/> makes to send to a local Mixpanel server on
    /// <paramref name="clock"/>, delivers what it recorded, and returns the script's result and what the server received.
    /// </summary>
    public static async Task<(T Run, List<string> Records)> ThroughLocalServerAsync<TClient, T>(
        FakeTimeProvider clock, Func<Uri, TClient> create, Func<TClient, CancellationToken, Task> flush, Func<TClient, T> script)
        where TClient : IAsyncDisposable
    {
        await using var server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token, TimeProvider = clock });
        T run;
        await using (var client = create(server.BaseAddress))
        {
            run = script(client);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await flush(client, patience.Token);
        }

        server.RejectedRecords.Should().BeEmpty();
        return (run, FromServer(server.Records));
    }

    /// <summary>The drops counted, as a line.</summary>
    public static string Drops(MixpanelDiagnostics diagnostics) =>
        string.Join(", ", diagnostics.DroppedByReason.Where(static d => d.Value > 0).OrderBy(static d => d.Key).Select(static d => $"{d.Key}={d.Value}"));

    /// <summary>What a call threw, as a line: its type and the argument it named; "ok" when it returned.</summary>
    public static string Outcome(Action call)
    {
        try
        {
            call();
            return "ok";
        }
        catch (Exception exception)
        {
            return exception is ArgumentException argument ? $"{exception.GetType().Name}({argument.ParamName})" : exception.GetType().Name;
        }
    }

    private static string Event(string name, string distinctId, string deviceId, string? userId, long time, IEnumerable<(string Name, string Json)> properties)
    {
        var own = properties.Where(static p => !AutomaticEventProperties.Contains(p.Name)).OrderBy(static p => p.Name, StringComparer.Ordinal);
        return $"track {name} distinct={distinctId} device={deviceId} user={userId} time={time.ToString(CultureInfo.InvariantCulture)} " +
               string.Join(", ", own.Select(static p => $"{p.Name}={p.Json}"));
    }

    private static (string Operation, string Payload) OperationOf(JsonElement update)
    {
        var operation = ProfileOperations.Single(name => update.TryGetProperty(name, out _));
        var payload = update.GetProperty(operation);
        return (operation, payload.ValueKind == JsonValueKind.Object
            ? Sorted(payload.EnumerateObject().Where(static p => p.Name != "$lib_version").Select(static p => (p.Name, p.Value.GetRawText())))
            : payload.GetRawText());
    }

    private static string Payload(MixpanelProfileUpdate update) => update.Operation switch
    {
        "$unset" => Json(update.Names),
        "$delete" => "\"\"",
        _ => Sorted(update.Properties.Where(static p => p.Key != "$lib_version").Select(static p => (p.Key, Json(p.Value)))),
    };

    private static string Sorted(IEnumerable<(string Name, string Json)> properties) =>
        "{" + string.Join(", ", properties.OrderBy(static p => p.Name, StringComparer.Ordinal).Select(static p => $"{p.Name}={p.Json}")) + "}";

    /// <summary>A value as the client writes it to JSON.</summary>
    private static string Json(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonValues.WriterOptions))
        {
            JsonValues.Write(writer, value is IReadOnlyList<string> names ? new PropertyList([.. names]) : value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
