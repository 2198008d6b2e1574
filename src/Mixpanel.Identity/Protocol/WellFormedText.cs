namespace Mixpanel.Identity.Protocol;

/// <summary>
/// Mixpanel receives UTF-8. A .NET string holding half of a surrogate pair has no UTF-8 form: the JSON writer turns it
/// into U+FFFD, so an id or a property name would change on its way out and again when read back from disk.
/// </summary>
internal static class WellFormedText
{
    public static bool IsWellFormed(string text)
    {
#if NET8_0_OR_GREATER
        // Most text has no surrogate at all: one vectorized scan says so.
        if (!text.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF'))
        {
            return true;
        }
#endif

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> unless the text is well-formed.</summary>
    public static void Require(string text, string what, string paramName)
    {
        if (!IsWellFormed(text))
        {
            throw Refusal(what, paramName);
        }
    }

    /// <summary>The exception for ill-formed <paramref name="what"/>, built only when it is thrown.</summary>
    public static ArgumentException Refusal(string what, string paramName) =>
        new($"{what} holds half of a UTF-16 surrogate pair, which has no UTF-8 form: Mixpanel would receive a different text.", paramName);
}
