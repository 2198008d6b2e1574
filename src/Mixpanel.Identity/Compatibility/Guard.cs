using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Mixpanel.Identity.Compatibility;

/// <summary>Argument checks that read the same on every target framework.</summary>
internal static class Guard
{
    public static void NotNull([NotNull] object? value, [CallerArgumentExpression(nameof(value))] string? paramName = null)
    {
        if (value is null)
        {
            ThrowNull(paramName);
        }
    }

    [DoesNotReturn]
    private static void ThrowNull(string? paramName) => throw new ArgumentNullException(paramName);
}
