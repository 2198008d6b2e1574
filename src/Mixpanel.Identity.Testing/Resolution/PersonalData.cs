namespace Mixpanel.Identity.Testing;

/// <summary>Ids that look like personal data, which changes: an email address or a phone number.</summary>
internal static class PersonalData
{
    internal static bool LooksLikeEmail(string id)
    {
        var at = id.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != id.LastIndexOf('@') || id.Any(char.IsWhiteSpace))
        {
            return false;
        }

        var domain = id[(at + 1)..];
        var dot = domain.LastIndexOf('.');
        return dot > 0 && dot < domain.Length - 1;
    }

    // Our choice: a phone number is "+" and 7 to 15 digits (E.164), or 7 to 15 digits written with phone separators
    // ("555-010-2030", "(555) 010 2030"). A bare string of digits is not flagged: that is what database ids look like.
    internal static bool LooksLikePhoneNumber(string id)
    {
        var text = id.Trim();
        if (text.Length == 0 || text.Any(character => !char.IsAsciiDigit(character) && " -().+".IndexOf(character, StringComparison.Ordinal) < 0))
        {
            return false;
        }

        if (text.LastIndexOf('+') > 0)
        {
            return false;
        }

        var digits = text.Count(char.IsAsciiDigit);
        var formatted = text[0] == '+' || text.Any(character => character is ' ' or '-' or '(' or ')');
        return digits is >= 7 and <= 15 && formatted;
    }
}
