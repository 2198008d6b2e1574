using System.Globalization;
using System.Text;

namespace Mixpanel.Identity.Flags;

/// <summary>JavaScript's numbers as text and back: <c>Number.prototype.toString</c>, <c>Number(text)</c> and <c>parseFloat</c>.</summary>
internal static class JsNumbers
{
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
        var trimmed = JsValues.Trim(text);
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
        var text = JsValues.TrimStart(JsValues.ToStr(value));
        var length = DecimalPrefix(text, 0);
        return length == 0 ? double.NaN : ParseDecimal(text.Substring(0, length));
    }

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
}
