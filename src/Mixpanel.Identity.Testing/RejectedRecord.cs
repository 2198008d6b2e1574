using System.Globalization;
using System.Text.Json;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// A record the <see cref="LocalMixpanelServer"/> refused because it failed Mixpanel's validation, with the field and reason
/// Mixpanel would report in <c>failed_records</c>.
/// </summary>
public sealed class RejectedRecord
{
    internal RejectedRecord(
        MixpanelEndpoint endpoint,
        int requestIndex,
        int index,
        JsonElement json,
        string rawText,
        string? insertId,
        string field,
        string message)
    {
        Endpoint = endpoint;
        RequestIndex = requestIndex;
        Index = index;
        Json = json;
        RawText = rawText;
        InsertId = insertId;
        Field = field;
        Message = message;
    }

    /// <summary>The endpoint it was posted to.</summary>
    public MixpanelEndpoint Endpoint { get; }

    /// <summary>The <see cref="ReceivedRequest.Index"/> of the request that carried it.</summary>
    public int RequestIndex { get; }

    /// <summary>Its index in that request's batch, from 0: the <c>index</c> of its <c>failed_records</c> entry.</summary>
    public int Index { get; }

    /// <summary>The record's JSON value (not necessarily an object); <c>default</c> when it was too deeply nested to load.</summary>
    public JsonElement Json { get; }

    /// <summary>The record's JSON text exactly as received.</summary>
    public string RawText { get; }

    /// <summary>The record's <c>$insert_id</c>, if it carried a string one.</summary>
    public string? InsertId { get; }

    /// <summary>The field that failed, such as <c>properties.time</c>; an empty string when the record as a whole did.</summary>
    public string Field { get; }

    /// <summary>Why it failed.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Endpoint} request #{RequestIndex} record {Index}: {Field}: {Message}");
}
