using System.Net;
using System.Text;

namespace Mixpanel.Identity.Testing;

/// <summary>Writes an <see cref="IdentityResolution"/> as one self-contained HTML page: inline CSS, no scripts, no external assets.</summary>
internal static class ResolutionHtml
{
    private const string Style =
        """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1f2328;background:#fff}
        h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
        table{border-collapse:collapse;margin:1rem 0}
        th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
        th{background:#f6f8fa}
        .id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
        .changed{font-weight:600}
        tr.flagged td{background:#fff8c5}
        a.flag{display:inline-block;margin:0 .3rem .2rem 0;padding:0 .35rem;border-radius:.6rem;background:#d4a72c;color:#fff;font-weight:600;text-decoration:none}
        ol.findings li{margin:.6rem 0}
        .kind{font-weight:600}
        .muted{color:#656d76}
        .lost{color:#cf222e}
        .ok{color:#1a7f37}
        """;

    internal static string Write(IdentityResolution resolution)
    {
        var numbers = ReportText.FindingNumbers(resolution);
        var title = ReportText.Title(resolution.Api);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .Append(Encode(title)).Append("</title>\n<style>\n").Append(Style).Append("\n</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(Encode(title)).Append("</h1>\n")
            .Append("<p class=\"muted\">").Append(Encode(ReportText.Summary(resolution))).Append("</p>\n");

        WriteTimeline(html, resolution, numbers);
        WriteFindings(html, resolution, numbers);
        WriteUsers(html, resolution);
        WriteProfiles(html, resolution);

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void WriteTimeline(StringBuilder html, IdentityResolution resolution, Dictionary<IdentityFinding, int> numbers)
    {
        html.Append("<table>\n<thead><tr><th>Event</th><th>$device_id</th><th>$user_id</th><th>distinct_id as sent</th>")
            .Append("<th>distinct_id resolved</th><th>Notes</th></tr></thead>\n<tbody>\n");
        foreach (var row in resolution.Timeline)
        {
            var changed = row.ResolvedDistinctId is not null
                && row.SentDistinctId is not null
                && !string.Equals(row.ResolvedDistinctId, row.SentDistinctId, StringComparison.Ordinal);
            html.Append("<tr id=\"").Append(RowAnchor(row.Record)).Append('"')
                .Append(row.Findings.Count > 0 ? " class=\"flagged\"" : "").Append('>')
                .Append("<td>").Append(Encode(ReportText.RecordReference(row.Record))).Append(' ').Append(Encode(row.Label)).Append("</td>")
                .Append("<td class=\"id\">").Append(Encode(row.DeviceId)).Append("</td>")
                .Append("<td class=\"id\">").Append(Encode(row.UserId)).Append("</td>")
                .Append("<td class=\"id\">").Append(Encode(row.SentDistinctId)).Append("</td>")
                .Append(changed ? "<td class=\"id changed\">" : "<td class=\"id\">").Append(Encode(row.ResolvedDistinctId)).Append("</td>")
                .Append("<td>");
            foreach (var finding in row.Findings)
            {
                var number = ReportText.Number(numbers[finding]);
                html.Append("<a class=\"flag\" href=\"#finding-").Append(number).Append("\" title=\"")
                    .Append(Encode(ReportText.KindTitle(finding.Kind))).Append("\">&#9888; ").Append(number).Append("</a> ");
            }

            html.Append(Encode(row.Notes)).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void WriteFindings(StringBuilder html, IdentityResolution resolution, Dictionary<IdentityFinding, int> numbers)
    {
        html.Append("<h2>Findings</h2>\n");
        if (resolution.Findings.Count == 0)
        {
            html.Append("<p class=\"ok\">None: Mixpanel will see these users as the app does.</p>\n");
            return;
        }

        html.Append("<ol class=\"findings\">\n");
        foreach (var finding in resolution.Findings)
        {
            html.Append("<li id=\"finding-").Append(ReportText.Number(numbers[finding])).Append("\"><span class=\"kind\">")
                .Append(Encode(ReportText.KindTitle(finding.Kind))).Append("</span> ")
                .Append(Encode(finding.Message)).Append(" <span class=\"muted\">Records:");
            foreach (var record in finding.Records)
            {
                AppendRecordLink(html.Append(' '), record);
            }

            html.Append("</span></li>\n");
        }

        html.Append("</ol>\n");
    }

    private static void WriteUsers(StringBuilder html, IdentityResolution resolution)
    {
        html.Append("<h2>Users</h2>\n<table>\n<thead><tr><th>Canonical distinct_id</th><th>Ids</th><th>Linked by</th></tr></thead>\n<tbody>\n");
        foreach (var cluster in resolution.Clusters)
        {
            html.Append("<tr><td class=\"id\">").Append(Encode(cluster.CanonicalId)).Append("</td><td class=\"id\">")
                .Append(Encode(string.Join(", ", cluster.Ids))).Append("</td><td>");
            foreach (var record in cluster.LinkingRecords)
            {
                AppendRecordLink(html, record).Append(' ');
            }

            html.Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static void WriteProfiles(StringBuilder html, IdentityResolution resolution)
    {
        html.Append("<h2>Profiles</h2>\n");
        if (resolution.Profiles.Count == 0)
        {
            html.Append("<p class=\"muted\">None.</p>\n");
            return;
        }

        html.Append("<table>\n<thead><tr><th>Profile</th><th>Properties</th><th>Status</th></tr></thead>\n<tbody>\n");
        foreach (var profile in resolution.Profiles)
        {
            html.Append("<tr><td class=\"id\">").Append(Encode(profile.DistinctId)).Append("</td><td>");
            foreach (var (name, value) in profile.Properties)
            {
                html.Append(Encode(name)).Append(" = <span class=\"id\">").Append(Encode(ReportText.Value(value))).Append("</span><br>");
            }

            html.Append("</td><td").Append(profile.IsOrphaned ? " class=\"lost\"" : "").Append('>')
                .Append(Encode(ReportText.ProfileStatus(profile))).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n");
    }

    private static StringBuilder AppendRecordLink(StringBuilder html, ReceivedRecord record) =>
        html.Append("<a href=\"#").Append(RowAnchor(record)).Append("\">").Append(Encode(ReportText.RecordReference(record))).Append("</a>");

    private static string RowAnchor(ReceivedRecord record) => "record-" + ReportText.Number((int)Math.Min(record.Sequence, int.MaxValue));

    private static string Encode(string? value) => WebUtility.HtmlEncode(value ?? "");
}
