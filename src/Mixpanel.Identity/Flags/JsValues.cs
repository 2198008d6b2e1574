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
        string s => JsNumbers.StringToNumber(s),
        JsArray => JsNumbers.StringToNumber(ToStr(value)),
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
                return JsNumbers.NumberToString(d);
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
                    return x == JsNumbers.StringToNumber(y);
                case (string x, double y):
                    return JsNumbers.StringToNumber(x) == y;
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

    internal static string TrimStart(string text)
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
