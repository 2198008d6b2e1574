using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Mixpanel.Identity.AspNetCore.Text;
using Mixpanel.Identity.Payloads;
using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.AspNetCore.Cookies;

/// <summary>
/// Reads the persistence cookie of Mixpanel's browser library: <c>mp_&lt;token&gt;_mixpanel</c>, whose value is the
/// URL-encoded JSON of the visitor's super properties, among them <c>distinct_id</c>, <c>$device_id</c> and, once
/// identified, <c>$user_id</c>. Never throws: a value that is not such a cookie reads as null.
/// </summary>
internal static class MixpanelCookie
{
    /// <summary>Longest value read. Browsers keep at most 4,096 bytes per cookie; twice that allows for encoding.</summary>
    public const int MaxValueLength = 8 * 1024;

    /// <summary>The library's first-touch referrer, kept in its cookie and sent with every event.</summary>
    public const string InitialReferrer = "$initial_referrer";

    /// <summary>The domain of <see cref="InitialReferrer"/>.</summary>
    public const string InitialReferringDomain = "$initial_referring_domain";

    private static ReadOnlySpan<byte> InitialReferrerUtf8 => "$initial_referrer"u8;

    private static ReadOnlySpan<byte> InitialReferringDomainUtf8 => "$initial_referring_domain"u8;

    // The cookie holds a few flat maps and lists; anything deeper was not written by the library.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 16 };

    /// <summary>The cookie's name for a project token (the library's default; its <c>persistence_name</c> option changes it).</summary>
    public static string NameFor(string projectToken) => "mp_" + projectToken + "_mixpanel";

    /// <summary>Reads the cookie named <paramref name="cookieName"/>, which ASP.NET Core has already URL-decoded.</summary>
    public static BrowserIdentity? Read(IRequestCookieCollection cookies, string cookieName)
    {
        ArgumentNullException.ThrowIfNull(cookies);
        return Parse(cookies[cookieName]);
    }

    /// <summary>Reads a cookie value, URL-encoded as the browser stores it or already decoded.</summary>
    public static BrowserIdentity? Parse(string? value)
    {
        if (value is null || value.Length > MaxValueLength)
        {
            return null;
        }

        var text = value.AsSpan().Trim();
        if (text.StartsWith("%7B", StringComparison.OrdinalIgnoreCase))
        {
            // The library decodes with decodeURIComponent; a value that fails it reads as no cookie there too.
            return UriComponent.TryDecode(text, out var decoded) ? ParseJson(decoded) : null;
        }

        return !text.IsEmpty && text[0] == '{' ? ParseJson(text) : null;
    }

    private static BrowserIdentity? ParseJson(ReadOnlySpan<char> json)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, rented);
            return ReadIdentity(rented.AsSpan(0, length));
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader.GetString's answer to an escaped lone surrogate ("\ud800").
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static BrowserIdentity? ReadIdentity(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        string? distinctId = null, deviceId = null, userId = null, initialReferrer = null, initialReferringDomain = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // A key given twice counts the last time, as in JSON.parse.
            if (reader.ValueTextEquals("distinct_id"u8))
            {
                distinctId = ReadId(ref reader);
            }
            else if (reader.ValueTextEquals("$device_id"u8))
            {
                deviceId = ReadId(ref reader);
            }
            else if (reader.ValueTextEquals("$user_id"u8))
            {
                userId = ReadId(ref reader);
            }
            else if (reader.ValueTextEquals(InitialReferrerUtf8))
            {
                initialReferrer = ReadText(ref reader);
            }
            else if (reader.ValueTextEquals(InitialReferringDomainUtf8))
            {
                initialReferringDomain = ReadText(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Anything after the object, as after any malformed part, makes the reader throw: JSON.parse rejects it too.
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || distinctId is null)
        {
            return null;
        }

        if (deviceId is null && distinctId.StartsWith(DistinctIds.DevicePrefix, StringComparison.Ordinal))
        {
            deviceId = Valid(distinctId[DistinctIds.DevicePrefix.Length..]);
        }

        if (userId is not null && userId.StartsWith(DistinctIds.DevicePrefix, StringComparison.Ordinal))
        {
            userId = null;
        }

        return new BrowserIdentity(distinctId, deviceId, userId)
        {
            InitialReferrer = initialReferrer,
            InitialReferringDomain = initialReferringDomain,
        };
    }

    // First-touch attribution as the library keeps it: any string, cut to what Mixpanel keeps of a value.
    private static string? ReadText(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return null;
        }

        var text = reader.GetString();
        return string.IsNullOrEmpty(text) || !WellFormedText.IsWellFormed(text) ? null : JsonValues.TruncateToString(text);
    }

    // Strings, and numbers as written (the library stores whatever identify was given, so identify(42) stores 42).
    private static string? ReadId(ref Utf8JsonReader reader)
    {
        reader.Read();
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return Valid(reader.GetString());
            case JsonTokenType.Number:
                return Valid(Encoding.UTF8.GetString(reader.ValueSpan));
            default:
                reader.Skip();
                return null;
        }
    }

    // What the library could have written and Mixpanel would keep as the same id: not blank, not padded with white
    // space, no control characters, at most 255 characters.
    private static string? Valid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > DistinctIds.MaxLength || char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1]))
        {
            return null;
        }

        foreach (var c in id)
        {
            if (char.IsControl(c))
            {
                return null;
            }
        }

        return id;
    }
}
