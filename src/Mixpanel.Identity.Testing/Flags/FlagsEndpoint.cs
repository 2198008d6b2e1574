using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.Flags;

namespace Mixpanel.Identity.Testing.Flags;

/// <summary>
/// Mixpanel's two flag endpoints on the local server: <c>/flags/definitions</c> answers the definitions a test gave,
/// and <c>/flags</c> (and <c>/flags/</c>, the client SDKs' spelling) evaluates them for the request's context with the
/// client's own local evaluator, answering the flags whose rollout the context is in, as Mixpanel does.
/// </summary>
internal sealed class FlagsEndpoint(LocalMixpanelServerOptions options)
{
    private const string EmptyDefinitions = """{"flags": []}""";

    // Replaced whole when a test changes the definitions; read by each request.
    private volatile Snapshot _snapshot = new(EmptyDefinitions, new Dictionary<string, FlagDefinition>());
    private int _requestCount;

    public int RequestCount => Volatile.Read(ref _requestCount);

    public static bool Handles(PathString path) =>
        path.Equals("/flags", StringComparison.Ordinal) || path.Equals("/flags/", StringComparison.Ordinal) ||
        path.Equals("/flags/definitions", StringComparison.Ordinal);

    /// <exception cref="ArgumentException">The text is not a definitions document.</exception>
    public void SetDefinitions(string definitionsJson)
    {
        try
        {
            using var document = JsonDocument.Parse(definitionsJson);
            _snapshot = new Snapshot(definitionsJson, FlagDefinition.ReadAll(document.RootElement));
        }
        catch (JsonException exception)
        {
            throw new ArgumentException("Flag definitions are {\"flags\": [flag, …]} as /flags/definitions answers: " + exception.Message, nameof(definitionsJson), exception);
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requestCount);
        var request = context.Request;
        var response = context.Response;
        var snapshot = _snapshot;
        string body;
        if (!string.IsNullOrEmpty(options.ProjectToken) && request.Query["token"] != options.ProjectToken)
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            body = """{"error": "the token does not name this project"}""";
        }
        else if (request.Path.Equals("/flags/definitions", StringComparison.Ordinal))
        {
            body = snapshot.Json;
        }
        else if (ReadContext(request.Query["context"]) is not { } flagContext)
        {
            response.StatusCode = StatusCodes.Status400BadRequest;
            body = """{"error": "context must be a JSON object with a distinct_id string"}""";
        }
        else
        {
            body = Evaluate(snapshot.Definitions, flagContext, request.Query["flag_key"]);
        }

        response.ContentType = "application/json";
        await response.WriteAsync(body, Encoding.UTF8, context.RequestAborted).ConfigureAwait(false);
    }

    private static string Evaluate(IReadOnlyDictionary<string, FlagDefinition> definitions, MixpanelFlagContext context, string? onlyKey)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("flags");
            foreach (var flag in definitions.Values)
            {
                if ((onlyKey is null || onlyKey == flag.Key) && LocalEvaluator.Evaluate(flag, context) is { Variant: { } variant } assignment)
                {
                    writer.WriteStartObject(flag.Key);
                    writer.WriteString("variant_key", variant.Key);
                    writer.WritePropertyName("variant_value");
                    if (variant.Value.ValueKind == JsonValueKind.Undefined)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        variant.Value.WriteTo(writer);
                    }

                    if (flag.HasExperimentId)
                    {
                        writer.WritePropertyName("experiment_id");
                        JsConvert.Write(writer, flag.ExperimentId);
                    }

                    if (flag.IsExperimentActive is { } active)
                    {
                        writer.WriteBoolean("is_experiment_active", active);
                    }

                    writer.WriteBoolean("is_qa_tester", assignment.IsQaTester);
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // The context as Mixpanel's SDKs send it: distinct_id, device_id, group keys at the top, custom_properties.
    private static MixpanelFlagContext? ReadContext(string? json)
    {
        try
        {
            using var document = JsonDocument.Parse(json ?? string.Empty);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("distinct_id", out var id) || id.GetString() is not { Length: > 0 } distinctId)
            {
                return null;
            }

            var context = new MixpanelFlagContext(distinctId)
            {
                DeviceId = root.TryGetProperty("device_id", out var device) && device.ValueKind == JsonValueKind.String ? device.GetString() : null,
            };
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == "custom_properties" && property.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var custom in property.Value.EnumerateObject())
                    {
                        context.CustomProperties[custom.Name] = custom.Value.Clone();
                    }
                }
                else if (property.Name is not ("distinct_id" or "device_id") && property.Value.ValueKind == JsonValueKind.String)
                {
                    context.Groups[property.Name] = property.Value.GetString()!;
                }
            }

            return context;
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private sealed record Snapshot(string Json, IReadOnlyDictionary<string, FlagDefinition> Definitions);
}
