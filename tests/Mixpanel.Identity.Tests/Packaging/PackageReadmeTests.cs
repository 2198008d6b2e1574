using System.Text.RegularExpressions;
using System.Xml.Linq;
using FluentAssertions;
using Mixpanel.Identity.Tests.Fakes;
using Xunit;

namespace Mixpanel.Identity.Tests.Packaging;

/// <summary>
/// The README each package carries to nuget.org: its own, short, and with links that work from there: absolute, and
/// naming a file of this repository or a heading of its README that exists.
/// </summary>
public sealed partial class PackageReadmeTests
{
    private const string Repository = "https://github.com/mixpanel-identity/Mixpanel.Identity";

    public static TheoryData<string> Packages => new() { "Mixpanel.Identity", "Mixpanel.Identity.Testing", "Mixpanel.Identity.AspNetCore" };

    [Theory]
    [MemberData(nameof(Packages))]
    public void PackageReadme_IsItsOwnAndShort(string package)
    {
        var project = XDocument.Load(RepositoryPaths.Combine("src", package, package + ".csproj"));
        var packed = project.Descendants("None").Where(n => (string?)n.Attribute("Pack") == "true").Select(n => (string?)n.Attribute("Include")).ToList();
        var readme = File.ReadAllText(RepositoryPaths.Combine("src", package, "README.md"));

        project.Descendants("PackageReadmeFile").Single().Value.Should().Be("README.md");
        packed.Should().Contain("README.md", "the package carries the README beside its project, not the repository's");
        readme.Should().StartWith("# " + package);
        readme.Split('\n').Length.Should().BeLessThan(40, "the repository's README is the long one");
    }

    [Theory]
    [MemberData(nameof(Packages))]
    public void PackageReadme_EveryLink_IsAbsoluteAndResolves(string package)
    {
        var readme = File.ReadAllText(RepositoryPaths.Combine("src", package, "README.md"));
        var anchors = Headings().Matches(File.ReadAllText(RepositoryPaths.Combine("README.md"))).Select(m => Slug(m.Groups["title"].Value)).ToHashSet();
        var links = Links().Matches(readme).Select(m => m.Groups["url"].Value).ToList();

        links.Should().NotBeEmpty();
        foreach (var link in links)
        {
            link.Should().StartWith("https://", "a relative link breaks on nuget.org");
            if (link.StartsWith(Repository + "/blob/main/", StringComparison.Ordinal))
            {
                File.Exists(RepositoryPaths.Combine(link[(Repository.Length + "/blob/main/".Length)..].Split('/'))).Should().BeTrue(link);
            }
            else if (link.StartsWith(Repository + "#", StringComparison.Ordinal))
            {
                anchors.Should().Contain(link[(Repository.Length + 1)..], link);
            }
            else
            {
                link.Should().MatchRegex(@"^https://www\.nuget\.org/packages/Mixpanel\.Identity(\.[A-Za-z]+)?$", "only this repository and its packages are linked");
            }
        }
    }

    [Fact]
    public void Slug_FollowsGitHubsHeadingAnchors()
    {
        Slug("ASP.NET Core: `Mixpanel.Identity.AspNetCore`").Should().Be("aspnet-core-mixpanelidentityaspnetcore");
        Slug("When the client throws, and when it doesn't").Should().Be("when-the-client-throws-and-when-it-doesnt");
    }

    // GitHub's anchors: lower case, punctuation other than '-' and '_' dropped, each space a '-'.
    private static string Slug(string heading) =>
        string.Concat(heading.Trim().ToLowerInvariant().Where(static c => char.IsLetterOrDigit(c) || c is '-' or '_' or ' ')).Replace(' ', '-');

    [GeneratedRegex(@"^#{1,6} (?<title>.+)$", RegexOptions.Multiline)]
    private static partial Regex Headings();

    [GeneratedRegex(@"\]\((?<url>[^)\s]+)\)")]
    private static partial Regex Links();
}
