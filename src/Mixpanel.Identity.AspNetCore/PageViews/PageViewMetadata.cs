namespace Mixpanel.Identity.AspNetCore.PageViews;

/// <summary>Marks an endpoint whose successful responses are page views.</summary>
internal sealed class PageViewMetadata
{
    public static readonly PageViewMetadata Instance = new();

    private PageViewMetadata()
    {
    }
}
