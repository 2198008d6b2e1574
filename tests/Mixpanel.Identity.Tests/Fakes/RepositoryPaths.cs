namespace Mixpanel.Identity.Tests.Fakes;

/// <summary>The repository the tests were built in: the folder holding <c>Mixpanel.Identity.sln</c>, above the test output.</summary>
internal static class RepositoryPaths
{
    public const string SolutionFile = "Mixpanel.Identity.sln";

    public static string Root
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, SolutionFile)))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException($"The repository root ({SolutionFile}) was not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>A path inside the repository, from its root.</summary>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);
}
