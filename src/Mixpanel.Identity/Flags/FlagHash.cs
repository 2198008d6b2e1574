namespace Mixpanel.Identity.Flags;

/// <summary>
/// The bucket Mixpanel's SDKs put a context in: FNV-1a 64 over the UTF-8 of key and salt, modulo 100, over 100, so
/// a number in [0, 0.99]. A lone surrogate counts as U+FFFD, as Node's and .NET's UTF-8 encoders write it.
/// </summary>
internal static class FlagHash
{
    private const ulong OffsetBasis = 0xcbf29ce484222325;
    private const ulong Prime = 0x100000001b3;

    public static double Normalized(string key, string salt) => (Fnv1a64(key, salt) % 100) / 100.0;

    /// <summary>FNV-1a 64 of the UTF-8 of <paramref name="first"/> followed by <paramref name="second"/>, without joining them.</summary>
    public static ulong Fnv1a64(string first, string second)
    {
        var hash = OffsetBasis;
        var length = first.Length + second.Length;
        for (var i = 0; i < length; i++)
        {
            int c = At(first, second, i);
            if (c < 0x80)
            {
                hash = Step(hash, c);
                continue;
            }

            if (c < 0x800)
            {
                hash = Step(Step(hash, 0xC0 | (c >> 6)), 0x80 | (c & 0x3F));
                continue;
            }

            if (c is >= 0xD800 and <= 0xDBFF && i + 1 < length && At(first, second, i + 1) is >= (char)0xDC00 and <= (char)0xDFFF)
            {
                var point = 0x10000 + ((c - 0xD800) << 10) + (At(first, second, i + 1) - 0xDC00);
                hash = Step(Step(Step(Step(hash, 0xF0 | (point >> 18)), 0x80 | ((point >> 12) & 0x3F)), 0x80 | ((point >> 6) & 0x3F)), 0x80 | (point & 0x3F));
                i++;
                continue;
            }

            if (c is >= 0xD800 and <= 0xDFFF)
            {
                c = 0xFFFD;
            }

            hash = Step(Step(Step(hash, 0xE0 | (c >> 12)), 0x80 | ((c >> 6) & 0x3F)), 0x80 | (c & 0x3F));
        }

        return hash;
    }

    private static char At(string first, string second, int index) => index < first.Length ? first[index] : second[index - first.Length];

    private static ulong Step(ulong hash, int octet) => unchecked((hash ^ (byte)octet) * Prime);
}
