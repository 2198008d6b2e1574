using System.Globalization;
using System.Text;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// JavaScript's value rules, as Mixpanel's runtime rules need them. Mixpanel's server SDKs evaluate rules with
/// json-logic-js, so a rule means what it means in JavaScript: loose equality, relational operators that coerce, strings
/// compared by UTF-16 code units, numbers printed as JavaScript prints them. Values are <c>null</c>, <see cref="Undefined"/>,
/// <see cref="bool"/>, <see cref="double"/>, <see cref="string"/>, <see cref="JsArray"/> and <see cref="JsObject"/>.
/// </summary>
internal static class JsValues
{
    /// <summary>JavaScript's <c>undefined</c>: a property that is not there.</summary>
    public static readonly object Undefined = new UndefinedValue();

    public static readonly object True = true;
    public static readonly object False = false;

    public static object Bool(bool value) => value ? True : False;

    public static bool IsNullish(object? value) => value is null || ReferenceEquals(value, Undefined);

    /// <summary>JavaScript's truthiness (<c>!!value</c>): an empty array is true.</summary>
    public static bool Truthy(object? value) => value switch
    {
        null => false,
        bool b => b,
        double d => !(d == 0 || double.IsNaN(d)),
        string s => s.Length > 0,
        UndefinedValue => false,
        _ => true,
    };

    public static double ToNumber(object? value) => value switch
    {
        null => 0,
        bool b => b ? 1 : 0,
        double d => d,
        string s => StringToNumber(s),
        JsArray => StringToNumber(ToStr(value)),
        _ => double.NaN,
    };

    public static string ToStr(object? value)
    {
        switch (value)
        {
            case null:
                return "null";
            case string s:
                return s;
            case bool b:
                return b ? "true" : "false";
            case double d:
                return NumberToString(d);
            case JsArray array:
                var text = new StringBuilder();
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }

                    if (!IsNullish(array[i]))
                    {
                        text.Append(ToStr(array[i]));
                    }
                }

                return text.ToString();
            case JsObject:
                return "[object Object]";
            default:
                return "undefined";
        }
    }

    /// <summary>ToPrimitive: an array or object becomes its string, anything else stays.</summary>
    public static object? ToPrimitive(object? value) => value is JsArray or JsObject ? ToStr(value) : value;

    /// <summary>JavaScript's <c>==</c>.</summary>
    public static bool LooseEquals(object? a, object? b)
    {
        while (true)
        {
            if (IsNullish(a) || IsNullish(b))
            {
                return IsNullish(a) && IsNullish(b);
            }

            switch (a, b)
            {
                case (double x, double y):
                    return x == y;
                case (string x, string y):
                    return string.Equals(x, y, StringComparison.Ordinal);
                case (bool x, bool y):
                    return x == y;
                case (JsArray or JsObject, JsArray or JsObject):
                    return ReferenceEquals(a, b);
                case (double x, string y):
                    return x == StringToNumber(y);
                case (string x, double y):
                    return StringToNumber(x) == y;
                case (bool x, _):
                    a = x ? 1d : 0d;
                    continue;
                case (_, bool y):
                    b = y ? 1d : 0d;
                    continue;
                case (JsArray or JsObject, _):
                    a = ToStr(a);
                    continue;
                default:
                    b = ToStr(b);
                    continue;
            }
        }
    }

    /// <summary>JavaScript's <c>===</c>.</summary>
    public static bool StrictEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (double x, double y) => x == y,
        (string x, string y) => string.Equals(x, y, StringComparison.Ordinal),
        (bool x, bool y) => x == y,
        _ => ReferenceEquals(a, b),
    };

    /// <summary>JavaScript's <c>a &lt; b</c>; with <paramref name="orEqual"/>, <c>a &lt;= b</c>. Anything compared with NaN is false.</summary>
    public static bool LessThan(object? a, object? b, bool orEqual)
    {
        var x = ToPrimitive(a);
        var y = ToPrimitive(b);
        if (x is string sx && y is string sy)
        {
            var order = string.CompareOrdinal(sx, sy);
            return orEqual ? order <= 0 : order < 0;
        }

        var nx = ToNumber(x);
        var ny = ToNumber(y);
        return orEqual ? nx <= ny : nx < ny;
    }

    /// <summary>JavaScript's <c>Number.prototype.toString()</c>: the shortest digits that read back, in JavaScript's layout.</summary>
    public static string NumberToString(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        if (value == 0)
        {
            return "0";
        }

        // "R" gives the shortest round-trip digits on .NET Core 3.0 and later; only the layout differs from JavaScript's.
        var round = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = round.IndexOf('E');
        var mantissa = exponentAt < 0 ? round : round.Substring(0, exponentAt);
        var exponent = exponentAt < 0 ? 0 : ReadExponent(round, exponentAt + 1);
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var pointAt = (dot < 0 ? mantissa.Length : dot) + exponent;
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0')
        {
            leading++;
        }

        digits = digits.Substring(leading).TrimEnd('0');
        var n = pointAt - leading;
        var k = digits.Length;
        var text = new StringBuilder(value < 0 ? "-" : string.Empty);
        if (k <= n && n <= 21)
        {
            text.Append(digits).Append('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            text.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
        }
        else if (-6 < n && n <= 0)
        {
            text.Append("0.").Append('0', -n).Append(digits);
        }
        else
        {
            text.Append(digits[0]);
            if (k > 1)
            {
                text.Append('.').Append(digits, 1, k - 1);
            }

            text.Append('e').Append(n - 1 >= 0 ? "+" : "-").Append(Math.Abs(n - 1).ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    private static int ReadExponent(string text, int start)
    {
        var negative = text[start] == '-';
        var value = 0;
        for (var i = text[start] is '-' or '+' ? start + 1 : start; i < text.Length; i++)
        {
            value = (value * 10) + (text[i] - '0');
        }

        return negative ? -value : value;
    }

    /// <summary>JavaScript's <c>Number(text)</c>: the whole text, trimmed, as a decimal, hex, octal or binary literal; empty is 0.</summary>
    public static double StringToNumber(string text)
    {
        var trimmed = Trim(text);
        if (trimmed.Length == 0)
        {
            return 0;
        }

        if (trimmed.Length > 2 && trimmed[0] == '0' && char.ToLowerInvariant(trimmed[1]) is 'x' or 'o' or 'b')
        {
            return ParseRadix(trimmed.Substring(2), char.ToLowerInvariant(trimmed[1]) switch { 'x' => 16, 'o' => 8, _ => 2 });
        }

        return DecimalPrefix(trimmed, 0) == trimmed.Length ? ParseDecimal(trimmed) : double.NaN;
    }

    /// <summary>JavaScript's <c>parseFloat(String(value))</c>: the longest decimal literal at the start, else NaN.</summary>
    public static double ParseFloat(object? value)
    {
        var text = TrimStart(ToStr(value));
        var length = DecimalPrefix(text, 0);
        return length == 0 ? double.NaN : ParseDecimal(text.Substring(0, length));
    }

    /// <summary>JavaScript's <c>toLowerCase</c>: the full Unicode mapping, with the two context rules .NET's simple mapping lacks.</summary>
    public static string ToLower(string text)
    {
        var lower = text.ToLowerInvariant();
        if (text.IndexOf('\u0130') < 0 && text.IndexOf('\u03A3') < 0)
        {
            return lower;
        }

        var result = new StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\u0130':
                    result.Append("i\u0307");
                    break;
                case '\u03A3':
                    result.Append(IsFinalSigma(text, i) ? '\u03C2' : '\u03C3');
                    break;
                default:
                    result.Append(lower[i]);
                    break;
            }
        }

        return result.ToString();
    }

    /// <summary>JavaScript's <c>String.prototype.trim</c> whitespace: Unicode spaces, line terminators and the byte-order mark.</summary>
    public static bool IsJsWhiteSpace(char c) =>
        c is '\t' or '\n' or '\v' or '\f' or '\r' or ' ' or '\u00A0' or '\u1680' or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000' or '\uFEFF'
        || (c >= '\u2000' && c <= '\u200A');

    public static string Trim(string text) => TrimEnd(TrimStart(text));

    private static string TrimStart(string text)
    {
        var start = 0;
        while (start < text.Length && IsJsWhiteSpace(text[start]))
        {
            start++;
        }

        return start == 0 ? text : text.Substring(start);
    }

    private static string TrimEnd(string text)
    {
        var end = text.Length;
        while (end > 0 && IsJsWhiteSpace(text[end - 1]))
        {
            end--;
        }

        return end == text.Length ? text : text.Substring(0, end);
    }

    // Final sigma (Unicode SpecialCasing): a cased letter before it, none after, skipping case-ignorable characters.
    private static bool IsFinalSigma(string text, int at)
    {
        var before = at - 1;
        while (before >= 0 && IsCaseIgnorable(text[before]))
        {
            before--;
        }

        var after = at + 1;
        while (after < text.Length && IsCaseIgnorable(text[after]))
        {
            after++;
        }

        return before >= 0 && char.IsLetter(text[before]) && !(after < text.Length && char.IsLetter(text[after]));
    }

    private static bool IsCaseIgnorable(char c) =>
        c is '\'' or '.' or ':' or '^' or '`' or '\u00AD' or '\u00B7' or '\u2019'
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;

    // The length of the StrDecimalLiteral at the start of text: [+-] (Infinity | digits [. digits] | . digits) [e [+-] digits].
    private static int DecimalPrefix(string text, int start)
    {
        var i = start;
        if (i < text.Length && text[i] is '+' or '-')
        {
            i++;
        }

        if (string.CompareOrdinal(text, i, "Infinity", 0, 8) == 0)
        {
            return i + 8 - start;
        }

        var digitsBefore = CountDigits(text, i);
        i += digitsBefore;
        var digitsAfter = 0;
        if (i < text.Length && text[i] == '.')
        {
            digitsAfter = CountDigits(text, i + 1);
            if (digitsBefore == 0 && digitsAfter == 0)
            {
                return 0;
            }

            i += 1 + digitsAfter;
        }

        if (digitsBefore == 0 && digitsAfter == 0)
        {
            return 0;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < text.Length && text[j] is '+' or '-')
            {
                j++;
            }

            var exponentDigits = CountDigits(text, j);
            if (exponentDigits > 0)
            {
                i = j + exponentDigits;
            }
        }

        return i - start;
    }

    private static int CountDigits(string text, int start)
    {
        var i = start;
        while (i < text.Length && text[i] is >= '0' and <= '9')
        {
            i++;
        }

        return i - start;
    }

    private static double ParseDecimal(string literal)
    {
        var unsigned = literal.TrimStart('+', '-');
        var negative = literal[0] == '-';
        if (unsigned == "Infinity")
        {
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        }

        // .NET Core 3.0 and later parse correctly rounded (IEEE), as JavaScript does; overflow gives infinity.
        var value = double.Parse(unsigned, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
        return negative ? -value : value;
    }

    private static double ParseRadix(string digits, int radix)
    {
        double value = 0;
        foreach (var c in digits)
        {
            var digit = c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'a' and <= 'z' => c - 'a' + 10,
                >= 'A' and <= 'Z' => c - 'A' + 10,
                _ => radix,
            };
            if (digit >= radix)
            {
                return double.NaN;
            }

            value = (value * radix) + digit;
        }

        return value;
    }

    private sealed class UndefinedValue
    {
        public override string ToString() => "undefined";
    }
}

/// <summary>A JavaScript array: compared by reference, as JavaScript does.</summary>
internal sealed class JsArray : List<object?>
{
    public JsArray()
    {
    }

    public JsArray(int capacity)
        : base(capacity)
    {
    }
}

/// <summary>A JavaScript object (string keys): compared by reference, as JavaScript does.</summary>
internal sealed class JsObject : Dictionary<string, object?>
{
    public JsObject()
        : base(StringComparer.Ordinal)
    {
    }
}
