using System.Text;

namespace Mixpanel.Identity.Testing;

/// <summary>Writes an <see cref="IdentityResolution"/> as Markdown, the timeline in the form of Mixpanel's identity tables.</summary>
internal static class ResolutionMarkdown
{
    internal static string Write(IdentityResolution resolution)
    {
        var numbers = ReportText.FindingNumbers(resolution);
        var text = new StringBuilder();
        text.Append("# ").Append(Cell(ReportText.Title(resolution.Api))).Append("\n\n");
        text.Append(ReportText.Summary(resolution)).Append("\n\n");

        text.Append("| Event | $device_id | $user_id | distinct_id as sent | distinct_id resolved | Notes |\n");
        text.Append("| --- | --- | --- | --- | --- | --- |\n");
        foreach (var row in resolution.Timeline)
        {
            var notes = row.Notes;
            if (row.Findings.Count > 0)
            {
                var flags = "⚠ finding " + string.Join(", ", row.Findings.Select(finding => ReportText.Number(numbers[finding])));
                notes = notes.Length == 0 ? flags : $"{notes}; {flags}";
            }

            text.Append("| ")
                .Append(Cell($"{ReportText.RecordReference(row.Record)} {row.Label}")).Append(" | ")
                .Append(Cell(row.DeviceId)).Append(" | ")
                .Append(Cell(row.UserId)).Append(" | ")
                .Append(Cell(row.SentDistinctId)).Append(" | ")
                .Append(Cell(row.ResolvedDistinctId)).Append(" | ")
                .Append(Cell(notes)).Append(" |\n");
        }

        text.Append("\n## Findings\n\n");
        if (resolution.Findings.Count == 0)
        {
            text.Append("None.\n");
        }

        foreach (var finding in resolution.Findings)
        {
            text.Append(ReportText.Number(numbers[finding])).Append(". **")
                .Append(Cell(ReportText.KindTitle(finding.Kind))).Append("** (")
                .Append(string.Join(", ", finding.Records.Select(ReportText.RecordReference))).Append("): ")
                .Append(Cell(finding.Message)).Append('\n');
        }

        text.Append("\n## Users\n\n| Canonical distinct_id | Ids | Linked by |\n| --- | --- | --- |\n");
        foreach (var cluster in resolution.Clusters)
        {
            text.Append("| ").Append(Cell(cluster.CanonicalId)).Append(" | ")
                .Append(Cell(string.Join(", ", cluster.Ids))).Append(" | ")
                .Append(Cell(string.Join(", ", cluster.LinkingRecords.Select(ReportText.RecordReference)))).Append(" |\n");
        }

        text.Append("\n## Profiles\n\n");
        if (resolution.Profiles.Count == 0)
        {
            text.Append("None.\n");
            return text.ToString();
        }

        text.Append("| Profile | Properties | Status |\n| --- | --- | --- |\n");
        foreach (var profile in resolution.Profiles)
        {
            var properties = string.Join(", ", profile.Properties.Select(pair => $"{pair.Key} = {ReportText.Value(pair.Value)}"));
            text.Append("| ").Append(Cell(profile.DistinctId)).Append(" | ")
                .Append(Cell(properties)).Append(" | ")
                .Append(Cell(ReportText.ProfileStatus(profile))).Append(" |\n");
        }

        return text.ToString();
    }

    // Table cells cannot hold pipes or line breaks, and Markdown renders raw HTML: escape what would break the table or inject markup.
    private static string Cell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var text = new StringBuilder(value.Length);
        foreach (var character in value)
        {
            text.Append(character switch
            {
                '\\' => "\\\\",
                '|' => "\\|",
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\r' or '\n' => " ",
                _ => character.ToString(),
            });
        }

        return text.ToString();
    }
}
