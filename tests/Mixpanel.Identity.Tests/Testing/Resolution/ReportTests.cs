using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace Mixpanel.Identity.Tests.Testing.Resolution;

public sealed class ReportTests
{
    private const string Hostile = "<script>alert(\"x\")</script> & | more";

    public static TheoryData<IdMergeApi> BothSystems => new() { IdMergeApi.Original, IdMergeApi.Simplified };

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void ToMarkdown_MessyStream_HasEveryRowAndEveryFinding(IdMergeApi api)
    {
        var resolution = MessyStream(api).Resolve(api);

        var markdown = resolution.ToMarkdown();

        markdown.Should().Contain("| Event | $device_id | $user_id | distinct_id as sent | distinct_id resolved | Notes |");
        var lines = markdown.Split('\n');
        foreach (var row in resolution.Timeline)
        {
            lines.Should().ContainSingle(line => line.StartsWith($"| #{row.Record.Sequence} ", StringComparison.Ordinal));
        }

        resolution.Findings.Should().NotBeEmpty();
        for (var number = 1; number <= resolution.Findings.Count; number++)
        {
            lines.Should().ContainSingle(line => line.StartsWith($"{number}. **", StringComparison.Ordinal));
        }

        markdown.Should().Contain("⚠ finding 1");
        markdown.Should().Contain("## Users").And.Contain("## Profiles");
    }

    [Fact]
    public void ToMarkdown_SeedRows_ReadLikeTheSeedTable()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Simplified, "D1");
        device.Track("1");
        device.Identify("U1");
        device.Track("2");

        var markdown = stream.Resolve(IdMergeApi.Simplified).ToMarkdown();

        markdown.Should().Contain("| #0 1 | D1 |  | $device:D1 | U1 | Retroactively updated |");
        markdown.Should().Contain("| #1 2 | D1 | U1 | U1 | U1 | Links $device:D1 ⇒ U1 |");
        markdown.Should().Contain("## Findings\n\nNone.");
    }

    [Fact]
    public void ToMarkdown_ValuesWithPipesAndMarkup_AreEscaped()
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Simplified, "D1").Track(Hostile);

        var markdown = stream.Resolve(IdMergeApi.Simplified).ToMarkdown();

        markdown.Should().NotContain("<script>");
        markdown.Should().Contain("&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; \\| more");
    }

    [Theory]
    [MemberData(nameof(BothSystems))]
    public void ToHtml_MessyStream_HasEveryRowAndMarksFindingsOnTheirRows(IdMergeApi api)
    {
        var resolution = MessyStream(api).Resolve(api);

        var html = resolution.ToHtml();

        foreach (var row in resolution.Timeline)
        {
            html.Should().Contain($"<tr id=\"record-{row.Record.Sequence}\"");
        }

        for (var number = 1; number <= resolution.Findings.Count; number++)
        {
            var finding = resolution.Findings[number - 1];
            html.Should().Contain($"<li id=\"finding-{number}\">");
            foreach (var record in finding.Records)
            {
                var row = html.Split('\n').Single(line => line.StartsWith($"<tr id=\"record-{record.Sequence}\"", StringComparison.Ordinal));
                row.Should().Contain("class=\"flagged\"").And.Contain($"href=\"#finding-{number}\"");
            }
        }
    }

    [Fact]
    public void ToHtml_ValuesFromRecords_AreHtmlEncoded()
    {
        var stream = new RecordStream();
        var device = stream.Device(IdMergeApi.Original, "D1");
        device.Track(Hostile);
        device.Identify("<b>bold</b>@example.com");
        device.Engage("$set", new JsonObject { ["<img src=x>"] = "<i>" });

        var html = stream.Resolve(IdMergeApi.Original).ToHtml();

        html.Should().NotContain("<script").And.NotContain("<b>").And.NotContain("<img").And.NotContain("<i>");
        html.Should().Contain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; | more");
        html.Should().Contain("&lt;b&gt;bold&lt;/b&gt;@example.com");
        html.Should().Contain("&lt;img src=x&gt;");
    }

    [Fact]
    public void ToHtml_Page_IsOneSelfContainedDocument()
    {
        var html = MessyStream(IdMergeApi.Original).Resolve(IdMergeApi.Original).ToHtml();

        html.Should().StartWith("<!DOCTYPE html>").And.EndWith("</html>\n");
        html.Should().Contain("<style>").And.Contain("<meta charset=\"utf-8\">");
        html.Should().NotContain("<script").And.NotContain("<link").And.NotContain("src=").And.NotContain("http://").And.NotContain("https://");
    }

    [Fact]
    public void ToHtml_CleanStream_SaysThereAreNoFindings()
    {
        var stream = new RecordStream();
        stream.Device(IdMergeApi.Simplified, "D1").Identify("U1").Track("Signed Up");

        stream.Resolve(IdMergeApi.Simplified).ToHtml().Should().Contain("<h2>Findings</h2>\n<p class=\"ok\">None");
    }

    private static RecordStream MessyStream(IdMergeApi api)
    {
        var stream = new RecordStream();
        var device = stream.Device(api, "D1");
        device.Track("App Opened");
        device.Set("plan", "trial");
        device.Identify("jane@example.com");
        device.Track("Log Out");
        device.Track("Viewed Page");
        device.Identify("U2");
        device.Track("Viewed Page");
        return stream;
    }
}
