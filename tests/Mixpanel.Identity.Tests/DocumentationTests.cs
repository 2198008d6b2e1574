using System.Xml.Linq;
using FluentAssertions;
using Xunit;

namespace Mixpanel.Identity.Tests;

/// <summary>What IntelliSense shows, read from the documentation file the package ships beside its assembly.</summary>
public sealed class DocumentationTests
{
    [Fact]
    public void MixpanelClient_Summary_IsTheClientsOwnNotThatOfItsGroups()
    {
        var file = Path.ChangeExtension(typeof(MixpanelClient).Assembly.Location, ".xml");
        var members = XDocument.Load(file).Descendants("member");

        var summary = members.Single(m => (string?)m.Attribute("name") == "T:Mixpanel.Identity.MixpanelClient").Element("summary")!.Value;

        summary.Trim().Should().StartWith("The Mixpanel client: remembers who the user is");
    }
}
