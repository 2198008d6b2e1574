using System.Globalization;
using System.Text.Json;
using Json.Schema;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.Tests.Protocol;

/// <summary>
/// The request bodies Mixpanel's ingestion API documents in its OpenAPI document, as JSON Schema (<c>Protocol/Schemas</c>),
/// and the check of a body against them. The document gives each operation's body inline, with no named components: an
/// array of records, each with the fields of one operation. A body is checked against its endpoint's schema
/// (<c>track-request</c>, <c>engage-request</c>, <c>groups-request</c>), then each record against the schema of what it
/// is: an event, or the one profile operation it carries. Every broken rule is reported with the path of the value that
/// breaks it, counted from the body (<c>#/3/$group_id</c> is the <c>$group_id</c> of the body's fourth record).
/// </summary>
internal sealed class RequestBodySchemas
{
    private const string SchemaFolder = "Protocol/Schemas";

    // The operations each endpoint documents, one per record (the batch operations of the OpenAPI document refer to them).
    private static readonly string[] ProfileOperations = ["$set", "$set_once", "$add", "$union", "$append", "$remove", "$unset", "$delete"];
    private static readonly string[] GroupOperations = ["$set", "$set_once", "$union", "$remove", "$unset", "$delete"];

    private static readonly Lazy<RequestBodySchemas> Loaded = new(static () => new RequestBodySchemas());

    private readonly Dictionary<string, JsonSchema> _schemas = new(StringComparer.Ordinal);

    private RequestBodySchemas()
    {
        foreach (var file in System.IO.Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, SchemaFolder), "*.json"))
        {
            _schemas.Add(Path.GetFileNameWithoutExtension(file), JsonSchema.FromText(File.ReadAllText(file)));
        }
    }

    /// <summary>The schemas, read once from the test's output folder.</summary>
    public static RequestBodySchemas Shared => Loaded.Value;

    /// <summary>Every schema by its file name without <c>.json</c>, such as <c>engage-union</c>.</summary>
    public IReadOnlyDictionary<string, JsonSchema> Schemas => _schemas;

    /// <summary>The name of the schema a record on <paramref name="endpoint"/> is checked against; null when it carries no single operation.</summary>
    public static string? RecordSchemaName(MixpanelEndpoint endpoint, JsonElement record)
    {
        if (endpoint == MixpanelEndpoint.Track)
        {
            return "track-event";
        }

        var (prefix, operations) = Operations(endpoint);
        var found = record.ValueKind == JsonValueKind.Object ? operations.Where(o => record.TryGetProperty(o, out _)).ToList() : [];
        return found.Count == 1 ? prefix + "-" + found[0].TrimStart('$').Replace('_', '-') : null;
    }

    /// <summary>Checks a whole request body posted to <paramref name="endpoint"/>: the body, then every record in it.</summary>
    public IReadOnlyList<SchemaViolation> ValidateBody(MixpanelEndpoint endpoint, JsonElement body)
    {
        var bodySchema = endpoint switch
        {
            MixpanelEndpoint.Track => "track-request",
            MixpanelEndpoint.Engage => "engage-request",
            MixpanelEndpoint.Groups => "groups-request",
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "The client sends to /track, /engage and /groups only."),
        };

        var violations = Evaluate(bodySchema, body, "");
        if (body.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var record in body.EnumerateArray())
            {
                // A record that is no object at all is the body schema's to report.
                if (record.ValueKind == JsonValueKind.Object)
                {
                    violations.AddRange(ValidateRecord(endpoint, record, "/" + index.ToString(CultureInfo.InvariantCulture)));
                }

                index++;
            }
        }

        return violations;
    }

    /// <summary>Checks one record posted to <paramref name="endpoint"/>; paths start at <paramref name="path"/>, the record's own.</summary>
    public List<SchemaViolation> ValidateRecord(MixpanelEndpoint endpoint, JsonElement record, string path = "")
    {
        if (RecordSchemaName(endpoint, record) is { } name)
        {
            return Evaluate(name, record, path);
        }

        var (prefix, operations) = Operations(endpoint);
        var present = record.ValueKind == JsonValueKind.Object ? operations.Where(o => record.TryGetProperty(o, out _)).ToList() : [];
        var message = present.Count == 0
            ? $"Carries none of the operations {prefix} documents ({string.Join(", ", operations)})."
            : $"Carries {present.Count} operations ({string.Join(", ", present)}); an update carries one.";
        return [new SchemaViolation(path, prefix + "-request", "operation", message)];
    }

    private static (string Prefix, string[] Operations) Operations(MixpanelEndpoint endpoint) => endpoint switch
    {
        MixpanelEndpoint.Engage => ("engage", ProfileOperations),
        MixpanelEndpoint.Groups => ("groups", GroupOperations),
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, "Only profile and group updates carry an operation."),
    };

    private List<SchemaViolation> Evaluate(string schemaName, JsonElement instance, string path)
    {
        var results = _schemas[schemaName].Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical });
        var violations = new List<SchemaViolation>();
        if (!results.IsValid)
        {
            Collect(results, schemaName, path, violations);
        }

        return violations;
    }

    /// <summary>
    /// Gathers the errors of a failed evaluation. Only failed nodes are entered: a <c>oneOf</c> that holds has failed
    /// branches too, and they break no rule. The failed branches of a <c>oneOf</c> that does not hold are one violation.
    /// </summary>
    private static void Collect(EvaluationResults node, string schemaName, string path, List<SchemaViolation> violations)
    {
        var location = path + node.InstanceLocation;
        foreach (var error in node.Errors ?? new Dictionary<string, string>())
        {
            // A schema of false (additionalProperties: false) reports under no keyword: the one that holds it is the rule.
            var keyword = error.Key.Length > 0 ? error.Key : LastSegment(node.EvaluationPath.ToString());
            violations.Add(new SchemaViolation(location, schemaName, keyword, error.Value));
        }

        var failed = (node.Details ?? []).Where(static d => !d.IsValid).ToList();
        var branches = failed.Where(static d => IsBranch(d.EvaluationPath.ToString())).ToList();
        if (branches.Count > 0)
        {
            var keyword = BranchKeyword(branches[0].EvaluationPath.ToString());
            var reasons = branches.SelectMany(static b => b.Errors is { } errors ? errors.Values : Enumerable.Empty<string>()).ToList();
            violations.Add(new SchemaViolation(
                location,
                schemaName,
                keyword,
                reasons.Count > 0 ? "Matches none of its schemas: " + string.Join("; ", reasons) + "." : "Matches none, or more than one, of its schemas."));
        }

        foreach (var child in failed.Except(branches))
        {
            Collect(child, schemaName, path, violations);
        }

        if (node.Errors is null && failed.Count == 0)
        {
            // Failed by a keyword that reports through its subschemas only, such as a oneOf two of whose schemas hold.
            violations.Add(new SchemaViolation(location, schemaName, LastSegment(node.EvaluationPath.ToString()), "Does not hold."));
        }
    }

    private static bool IsBranch(string evaluationPath)
    {
        var segments = evaluationPath.Split('/');
        return segments.Length >= 2 && segments[^2] is "oneOf" or "anyOf" && int.TryParse(segments[^1], CultureInfo.InvariantCulture, out _);
    }

    private static string BranchKeyword(string evaluationPath) => evaluationPath.Split('/')[^2];

    private static string LastSegment(string evaluationPath) => evaluationPath.Split('/')[^1];
}

/// <summary>A rule of a request-body schema that a sent value breaks.</summary>
/// <param name="Path">The value's JSON pointer from the body (or the record, when a record is checked alone); empty for the whole.</param>
/// <param name="Schema">The schema's name, such as <c>groups-set</c>.</param>
/// <param name="Keyword">The rule, such as <c>type</c> or <c>required</c>; <c>operation</c> for a record carrying no single operation.</param>
/// <param name="Message">What is wrong.</param>
internal sealed record SchemaViolation(string Path, string Schema, string Keyword, string Message)
{
    public override string ToString() => $"#{Path} breaks {Schema} '{Keyword}': {Message}";
}
