using System.Text.Json;

namespace Mixpanel.Identity.Flags;

/// <summary>
/// A context as Mixpanel's SDKs send it to <c>/flags</c>: <c>distinct_id</c>, <c>device_id</c>, each group key at the top
/// level, and <c>custom_properties</c> when there are any. A group named like one of those three is left out, so that the
/// object has one value per name and the local rules read the same context as Mixpanel does.
/// </summary>
internal static class FlagContextJson
{
    public static void Write(Utf8JsonWriter writer, MixpanelFlagContext context)
    {
        writer.WriteStartObject();
        writer.WriteString("distinct_id", context.DistinctId);
        if (context.DeviceId is { } deviceId)
        {
            writer.WriteString("device_id", deviceId);
        }

        foreach (var group in context.Groups)
        {
            if (group.Key is not ("distinct_id" or "device_id" or "custom_properties"))
            {
                writer.WriteString(group.Key, group.Value);
            }
        }

        if (context.CustomProperties.Count > 0)
        {
            writer.WritePropertyName("custom_properties");
            JsConvert.Write(writer, JsConvert.FromClr(context.CustomProperties, lowercase: false));
        }

        writer.WriteEndObject();
    }

    public static string ToJson(MixpanelFlagContext context)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, context);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
