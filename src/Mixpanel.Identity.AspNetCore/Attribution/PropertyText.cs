namespace Mixpanel.Identity.AspNetCore.Attribution;

/// <summary>Keeps request text within what Mixpanel stores of a string property.</summary>
internal static class PropertyText
{
    /// <summary>Mixpanel truncates string property values to 255 characters (its ingestion API reference).</summary>
    public const int MaxLength = 255;

    /// <summary>The first <see cref="MaxLength"/> characters, never ending in half a surrogate pair.</summary>
    public static string Truncate(string value) => value.Length <= MaxLength ? value : Truncate(value.AsSpan());

    /// <inheritdoc cref="Truncate(string)"/>
    public static string Truncate(ReadOnlySpan<char> value)
    {
        if (value.Length > MaxLength)
        {
            value = value[..(char.IsHighSurrogate(value[MaxLength - 1]) ? MaxLength - 1 : MaxLength)];
        }

        return value.ToString();
    }
}
