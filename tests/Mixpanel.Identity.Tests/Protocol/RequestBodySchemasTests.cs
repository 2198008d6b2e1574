using System.Text.Json;
using FluentAssertions;
using Json.Schema;
using Mixpanel.Identity.Testing;
using Xunit;

namespace Mixpanel.Identity.Tests.Protocol;

/// <summary>
/// The request-body schemas and their check, on bodies written by hand: every documented operation in a conforming
/// record passes, and every rule a record can break is reported with its path and its rule.
/// </summary>
public sealed class RequestBodySchemasTests
{
    private static readonly string[] ExpectedSchemas =
    [
        "track-request", "track-event",
        "engage-request", "engage-set", "engage-set-once", "engage-add", "engage-union", "engage-append", "engage-remove", "engage-unset", "engage-delete",
        "groups-request", "groups-set", "groups-set-once", "groups-union", "groups-remove", "groups-unset", "groups-delete",
    ];

    private static RequestBodySchemas Schemas => RequestBodySchemas.Shared;

    [Fact]
    public void Schemas_OutputFolder_HoldsOneSchemaPerEndpointAndOperation() =>
        Schemas.Schemas.Keys.Should().BeEquivalentTo(ExpectedSchemas);

    [Fact]
    public void Schemas_EveryFile_UsesOnlyKeywordsTheValidatorKnows()
    {
        // A misspelt keyword ("additionalProperites") is an annotation to JSON Schema, not an error: it would check nothing.
        var unknown = Schemas.Schemas.SelectMany(static s => UnknownKeywords(s.Key, s.Value.Root)).ToList();

        unknown.Should().BeEmpty();
    }

    [Fact]
    public void Schemas_EveryFile_NamesTheOpenApiOperationItComesFrom()
    {
        foreach (var (name, schema) in Schemas.Schemas)
        {
            var comment = schema.Root.Source.GetProperty("$comment").GetString();
            comment.Should().StartWith("Mixpanel ingestion OpenAPI, ", because: name).And.Contain("operationId ", because: name);
        }
    }

    [Theory]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Signed Up","properties":{"token":"t","time":1795420800000,"distinct_id":"u1","$insert_id":"0f8fad5b-d9cb-469f-a165-70867728950e","plan":{"tier":2},"tags":["a",1,null]}}]""")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{}}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$set":{"plan":"premium","seen":["a",{"b":1}]}}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$set_once":{"first":"2026-11-23T09:00:00"}}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$add":{"logins":1,"credits":-2.5}}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$union":{"tags":["a",2,3.5]}}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$append":{"visited":{"page":"pricing"}}}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$remove":{"tags":"a"}}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$unset":["nickname"]}]""")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$delete":"","$ignore_alias":true},{"$token":"t","$distinct_id":"u2","$delete":null}]""")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$set":{"size":40}}]""")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$set_once":{"founded":1999}}]""")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$union":{"regions":["eu",1]}}]""")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$remove":{"regions":"eu"}}]""")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$unset":["size","founded"]}]""")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$delete":""}]""")]
    public void ValidateBody_ConformingBody_ReportsNothing(MixpanelEndpoint endpoint, string body) =>
        Validate(endpoint, body).Should().BeEmpty();

    [Theory]
    // The body.
    [InlineData(MixpanelEndpoint.Track, """{"event":"Opened","properties":{}}""", "", "track-request", "type")]
    [InlineData(MixpanelEndpoint.Track, """[]""", "", "track-request", "minItems")]
    [InlineData(MixpanelEndpoint.Engage, """[[]]""", "/0", "engage-request", "type")]
    // Events.
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened"}]""", "/0", "track-event", "required")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":7,"properties":{}}]""", "/0/event", "track-event", "type")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":[]}]""", "/0/properties", "track-event", "type")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{},"distinct_id":"u1"}]""", "/0/distinct_id", "track-event", "additionalProperties")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{"time":"2026-11-23T09:00:00"}}]""", "/0/properties/time", "track-event", "type")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{"time":1795420800.5}}]""", "/0/properties/time", "track-event", "type")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{"distinct_id":42}}]""", "/0/properties/distinct_id", "track-event", "type")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{"token":null}}]""", "/0/properties/token", "track-event", "type")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{"$insert_id":"0f8fad5b-d9cb-469f-a165-70867728950e-1"}}]""", "/0/properties/$insert_id", "track-event", "maxLength")]
    [InlineData(MixpanelEndpoint.Track, """[{"event":"Opened","properties":{"$insert_id":"id_1"}}]""", "/0/properties/$insert_id", "track-event", "pattern")]
    // Profile updates.
    [InlineData(MixpanelEndpoint.Engage, """[{"$distinct_id":"u1","$set":{}}]""", "/0", "engage-set", "required")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":1234,"$set":{}}]""", "/0/$distinct_id", "engage-set", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$set":[]}]""", "/0/$set", "engage-set", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$set_once":"plan"}]""", "/0/$set_once", "engage-set-once", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$add":{"logins":"1"}}]""", "/0/$add/logins", "engage-add", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$union":{}}]""", "/0/$union", "engage-union", "minProperties")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$union":{"tags":[]}}]""", "/0/$union/tags", "engage-union", "minItems")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$union":{"tags":"a"}}]""", "/0/$union/tags", "engage-union", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$union":{"tags":["a",true]}}]""", "/0/$union/tags/1", "engage-union", "oneOf")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$append":["a"]}]""", "/0/$append", "engage-append", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$remove":null}]""", "/0/$remove", "engage-remove", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$unset":[]}]""", "/0/$unset", "engage-unset", "minItems")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$unset":["a",1]}]""", "/0/$unset/1", "engage-unset", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$delete":0}]""", "/0/$delete", "engage-delete", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$delete":"","$ignore_alias":"yes"}]""", "/0/$ignore_alias", "engage-delete", "type")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1"}]""", "/0", "engage-request", "operation")]
    [InlineData(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$set":{},"$add":{"a":1}}]""", "/0", "engage-request", "operation")]
    // Group updates.
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$set":{}}]""", "/0", "groups-set", "required")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":42,"$set":{}}]""", "/0/$group_id", "groups-set", "type")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":1,"$group_id":"acme","$set_once":{}}]""", "/0/$group_key", "groups-set-once", "type")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$union":{"regions":[null]}}]""", "/0/$union/regions/0", "groups-union", "oneOf")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$remove":"eu"}]""", "/0/$remove", "groups-remove", "type")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$unset":"size"}]""", "/0/$unset", "groups-unset", "type")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$delete":{}}]""", "/0/$delete", "groups-delete", "type")]
    [InlineData(MixpanelEndpoint.Groups, """[{"$token":"t","$group_key":"company","$group_id":"acme","$add":{"size":1}}]""", "/0", "groups-request", "operation")]
    public void ValidateBody_BodyBreakingOneRule_ReportsThatRuleAtThatPath(MixpanelEndpoint endpoint, string body, string path, string schema, string keyword)
    {
        var violations = Validate(endpoint, body);

        violations.Select(static v => (v.Path, v.Schema, v.Keyword)).Should().Equal((path, schema, keyword));
    }

    [Fact]
    public void ValidateBody_SeveralRecordsBreakingRules_ReportsEachAtItsRecordsIndex()
    {
        const string Body = """
            [
              {"$token":"t","$distinct_id":"u1","$set":{"plan":"premium"}},
              {"$token":"t","$distinct_id":"u1","$add":{"logins":"one"}},
              {"$token":"t","$distinct_id":"u1","$set":{}},
              {"$distinct_id":7,"$unset":[]}
            ]
            """;

        var violations = Validate(MixpanelEndpoint.Engage, Body);

        violations.Select(static v => (v.Path, v.Schema, v.Keyword)).Should().BeEquivalentTo(new[]
        {
            ("/1/$add/logins", "engage-add", "type"),
            ("/3", "engage-unset", "required"),
            ("/3/$distinct_id", "engage-unset", "type"),
            ("/3/$unset", "engage-unset", "minItems"),
        });
    }

    [Fact]
    public void ValidateBody_TooManyRecords_ReportsMaxItemsOnTheBody()
    {
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"event":"Opened","properties":{}}""", 2001)) + "]";

        var violations = Validate(MixpanelEndpoint.Track, body);

        violations.Select(static v => (v.Path, v.Schema, v.Keyword)).Should().Equal(("", "track-request", "maxItems"));
    }

    [Fact]
    public void ValidateBody_UnionValueOfNeitherSchema_ExplainsBothSchemasFailures()
    {
        var violations = Validate(MixpanelEndpoint.Engage, """[{"$token":"t","$distinct_id":"u1","$union":{"tags":[false]}}]""");

        violations.Should().ContainSingle().Which.ToString().Should()
            .StartWith("#/0/$union/tags/0 breaks engage-union 'oneOf': ")
            .And.Contain("\"number\"").And.Contain("\"string\"");
    }

    [Fact]
    public void ValidateBody_RecordOnTheWrongEndpoint_ReportsTheMissingGroupFields()
    {
        var violations = Validate(MixpanelEndpoint.Groups, """[{"$token":"t","$distinct_id":"u1","$set":{"plan":"premium"}}]""");

        violations.Should().ContainSingle().Which.Should().Match<SchemaViolation>(
            v => v.Path == "/0" && v.Schema == "groups-set" && v.Keyword == "required" && v.Message.Contains("$group_key") && v.Message.Contains("$group_id"));
    }

    private static IReadOnlyList<SchemaViolation> Validate(MixpanelEndpoint endpoint, string body)
    {
        using var document = JsonDocument.Parse(body);
        return Schemas.ValidateBody(endpoint, document.RootElement);
    }

    private static IEnumerable<string> UnknownKeywords(string schemaName, JsonSchemaNode node)
    {
        if (node.Source.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        var known = node.Keywords.Select(static k => k.Handler.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var property in node.Source.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                yield return $"{schemaName}: '{property.Name}'";
            }
        }

        foreach (var subschema in node.Keywords.SelectMany(static k => k.Subschemas))
        {
            foreach (var name in UnknownKeywords(schemaName, subschema))
            {
                yield return name;
            }
        }
    }
}
