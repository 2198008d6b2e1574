using System.Globalization;

namespace Mixpanel.Identity.AspNetCore.UserAgents;

/// <summary>Reads a version such as <c>Chrome/120.0.6099.71</c> as the number Mixpanel's browser library reports: 120.</summary>
internal static class VersionNumber
{
    /// <summary>
    /// The major and minor version (<c>17.1</c> from <c>Version/17.1.2</c>) after the leftmost of
    /// <paramref name="prefixes"/> that is followed by a digit; null when none is.
    /// </summary>
    public static double? After(ReadOnlySpan<char> userAgent, ReadOnlySpan<string> prefixes)
    {
        var best = -1;
        var bestEnd = 0;
        foreach (var prefix in prefixes)
        {
            var at = IndexFollowedByDigit(userAgent, prefix);
            if (at >= 0 && (best < 0 || at < best))
            {
                best = at;
                bestEnd = at + prefix.Length;
            }
        }

        return best < 0 ? null : AtStart(userAgent[bestEnd..]);
    }

    /// <summary>The number at the start of <paramref name="text"/>, or null when it does not start with a digit.</summary>
    public static double? AtStart(ReadOnlySpan<char> text)
    {
        var length = NumberLength(text);
        return length == 0 ? null : Parse(text[..length]);
    }

    private static int IndexFollowedByDigit(ReadOnlySpan<char> userAgent, string prefix)
    {
        var offset = 0;
        while (offset < userAgent.Length)
        {
            var found = userAgent[offset..].IndexOf(prefix, StringComparison.Ordinal);
            if (found < 0)
            {
                return -1;
            }

            var at = offset + found;
            if (IsDigitAt(userAgent, at + prefix.Length))
            {
                return at;
            }

            offset = at + 1;
        }

        return -1;
    }

    // Digits, then optionally a dot and more digits: the minor version is kept, the rest (".0.6099.71") is not.
    private static int NumberLength(ReadOnlySpan<char> text)
    {
        var length = CountDigits(text);
        if (length > 0 && length + 1 < text.Length && text[length] == '.' && char.IsAsciiDigit(text[length + 1]))
        {
            length += 1 + CountDigits(text[(length + 1)..]);
        }

        return length;
    }

    private static int CountDigits(ReadOnlySpan<char> text)
    {
        var count = 0;
        while (count < text.Length && char.IsAsciiDigit(text[count]))
        {
            count++;
        }

        return count;
    }

    private static bool IsDigitAt(ReadOnlySpan<char> text, int index) => index < text.Length && char.IsAsciiDigit(text[index]);

    // A run of hundreds of digits parses as infinity, which no JSON can carry: such a "version" is no version.
    private static double? Parse(ReadOnlySpan<char> number) =>
        double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : null;
}
