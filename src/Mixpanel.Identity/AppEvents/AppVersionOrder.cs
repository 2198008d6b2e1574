namespace Mixpanel.Identity.AppEvents;

/// <summary>
/// Orders app versions as people read them: runs of digits by their value ("1.10" after "1.9"), anything else by its
/// characters. Mixpanel's iOS SDK orders versions this way (a numeric string comparison) before it tracks an update.
/// </summary>
internal static class AppVersionOrder
{
    /// <summary>Less than zero when <paramref name="left"/> comes before <paramref name="right"/>, zero when they are the same version.</summary>
    public static int Compare(string left, string right)
    {
        int i = 0, j = 0;
        while (i < left.Length && j < right.Length)
        {
            if (char.IsDigit(left[i]) && char.IsDigit(right[j]))
            {
                var startLeft = i;
                var startRight = j;
                while (i < left.Length && char.IsDigit(left[i]))
                {
                    i++;
                }

                while (j < right.Length && char.IsDigit(right[j]))
                {
                    j++;
                }

                var order = CompareDigits(left.Substring(startLeft, i - startLeft), right.Substring(startRight, j - startRight));
                if (order != 0)
                {
                    return order;
                }
            }
            else
            {
                if (left[i] != right[j])
                {
                    return left[i].CompareTo(right[j]);
                }

                i++;
                j++;
            }
        }

        return (left.Length - i).CompareTo(right.Length - j);
    }

    // Values of any length: leading zeros dropped, then the longer run is the larger, then digit by digit.
    private static int CompareDigits(string left, string right)
    {
        left = left.TrimStart('0');
        right = right.TrimStart('0');
        return left.Length != right.Length ? left.Length.CompareTo(right.Length) : string.CompareOrdinal(left, right);
    }
}
