using System.Globalization;
using System.Text.RegularExpressions;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// The two operations Mixpanel adds to JsonLogic for its runtime rules, as its server SDKs define them:
/// <c>semver_compare</c> (Semantic Versioning 2.0.0 order, a leading <c>v</c> and missing minor or patch allowed) and
/// <c>datetime_compare</c> (an RFC 3339 time against a Unix time in milliseconds, to the second).
/// </summary>
internal static class MixpanelOperators
{
    // node-semver's MAX_LENGTH: a longer operand is no version, and never reaches the expression.
    private const int MaxSemverLength = 256;

    // Epoch milliseconds are int64 in Mixpanel's other SDKs: a target at or beyond 2^63 is no time.
    private const double MaxEpochMilliseconds = 9223372036854775808d;

    // The official SemVer 2.0.0 expression, with ASCII digits and an end of input (JavaScript's $ without the m flag).
    private static readonly Regex Semver = new(
        @"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\z",
        RegexOptions.CultureInvariant);

    private static readonly Regex Rfc3339 = new(
        @"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|([+-])([0-9]{2}):([0-9]{2}))\z",
        RegexOptions.CultureInvariant);

    public static bool SemverCompare(object? actual, object? symbol, object? target)
    {
        if (actual is not string actualText || target is not string targetText ||
            actualText.Length > MaxSemverLength || targetText.Length > MaxSemverLength)
        {
            return false;
        }

        var left = NormalizeSemver(actualText);
        var right = NormalizeSemver(targetText);
        return Semver.IsMatch(left) && Semver.IsMatch(right) && Matches(CompareSemver(left, right), symbol);
    }

    public static bool DatetimeCompare(object? actual, object? symbol, object? target)
    {
        if (ToUnixSeconds(actual) is not { } actualSeconds ||
            target is not double milliseconds || double.IsNaN(milliseconds) || double.IsInfinity(milliseconds) ||
            milliseconds >= MaxEpochMilliseconds || milliseconds <= -MaxEpochMilliseconds)
        {
            return false;
        }

        return Matches(actualSeconds - Math.Truncate(milliseconds / 1000), symbol);
    }

    private static bool Matches(double comparison, object? symbol) => symbol switch
    {
        "===" => comparison == 0,
        "!==" => comparison != 0,
        "<" => comparison < 0,
        "<=" => comparison <= 0,
        ">" => comparison > 0,
        ">=" => comparison >= 0,
        _ => false,
    };

    private static string NormalizeSemver(string version)
    {
        var stripped = JsValues.Trim(version);
        if (stripped.Length > 0 && stripped[0] is 'v' or 'V')
        {
            stripped = stripped.Substring(1);
        }

        var suffixAt = stripped.IndexOfAny(['-', '+']);
        var core = suffixAt < 0 ? stripped : stripped.Substring(0, suffixAt);
        var parts = new List<string>(core.Split('.'));
        while (parts.Count < 3)
        {
            parts.Add("0");
        }

        return string.Join(".", parts) + (suffixAt < 0 ? string.Empty : stripped.Substring(suffixAt));
    }

    private static int CompareSemver(string left, string right)
    {
        var (leftCore, leftPre) = SplitSemver(left);
        var (rightCore, rightPre) = SplitSemver(right);
        for (var i = 0; i < leftCore.Length; i++)
        {
            var result = CompareNumeric(leftCore[i], rightCore[i]);
            if (result != 0)
            {
                return result;
            }
        }

        // A pre-release ranks below its release; identifiers compare field by field, and the longer list wins a tie.
        if (leftPre.Length == 0 || rightPre.Length == 0)
        {
            return leftPre.Length == rightPre.Length ? 0 : leftPre.Length == 0 ? 1 : -1;
        }

        for (var i = 0; i < Math.Min(leftPre.Length, rightPre.Length); i++)
        {
            var result = ComparePrerelease(leftPre[i], rightPre[i]);
            if (result != 0)
            {
                return result;
            }
        }

        return leftPre.Length.CompareTo(rightPre.Length) switch { < 0 => -1, > 0 => 1, _ => 0 };
    }

    private static (string[] Core, string[] Prerelease) SplitSemver(string version)
    {
        var plus = version.IndexOf('+');
        if (plus >= 0)
        {
            version = version.Substring(0, plus);
        }

        var dash = version.IndexOf('-');
        return dash < 0 ? (version.Split('.'), []) : (version.Substring(0, dash).Split('.'), version.Substring(dash + 1).Split('.'));
    }

    // Digits without leading zeros: the longer run is the larger number, so versions past 2^53 still order right.
    private static int CompareNumeric(string a, string b) =>
        a.Length != b.Length ? (a.Length < b.Length ? -1 : 1) : Math.Sign(string.CompareOrdinal(a, b));

    private static int ComparePrerelease(string a, string b)
    {
        var aNumeric = IsDigits(a);
        var bNumeric = IsDigits(b);
        return (aNumeric, bNumeric) switch
        {
            (true, true) => CompareNumeric(a, b),
            (true, false) => -1,
            (false, true) => 1,
            _ => Math.Sign(string.CompareOrdinal(a, b)),
        };
    }

    private static bool IsDigits(string text)
    {
        if (text.Length == 0)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    // An RFC 3339 time (any case, trimmed) as whole Unix seconds; null for anything else, a date that does not exist
    // (30 February), or a field JavaScript's Date.parse refuses (minute or second 60, an offset of 24 hours).
    private static double? ToUnixSeconds(object? value)
    {
        if (value is not string text)
        {
            return null;
        }

        var match = Rfc3339.Match(JsValues.Trim(text).ToUpperInvariant());
        if (!match.Success)
        {
            return null;
        }

        int Field(int group) => int.Parse(match.Groups[group].Value, NumberStyles.None, CultureInfo.InvariantCulture);
        int year = Field(1), month = Field(2), day = Field(3), hour = Field(4), minute = Field(5), second = Field(6);
        if (month is < 1 or > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return null;
        }

        var offsetMinutes = 0;
        if (match.Groups[8].Value != "Z")
        {
            int offsetHours = Field(10), offsetMinute = Field(11);
            if (offsetHours > 23 || offsetMinute > 59)
            {
                return null;
            }

            offsetMinutes = (match.Groups[9].Value == "-" ? -1 : 1) * ((offsetHours * 60) + offsetMinute);
        }

        // The fraction never changes the whole second: it is at least 0 and under 1.
        return (DaysFromCivil(year, month, day) * 86400d) + (hour * 3600) + (minute * 60) + second - (offsetMinutes * 60);
    }

    private static int DaysInMonth(int year, int month)
    {
        var leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 ? (leap ? 29 : 28) : month is 4 or 6 or 9 or 11 ? 30 : 31;
    }

    // Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
    private static long DaysFromCivil(int year, int month, int day)
    {
        long y = month <= 2 ? year - 1 : year;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yearOfEra = y - (era * 400);
        var dayOfYear = ((153 * (month + (month > 2 ? -3 : 9))) + 2) / 5 + day - 1;
        var dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
        return (era * 146097) + dayOfEra - 719468;
    }
}
