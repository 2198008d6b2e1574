namespace Mixpanel.Identity.Flags;

/// <summary>json-logic-js's operations on the data: <c>var</c> (dotted paths into objects, arrays and strings), <c>missing</c> and <c>missing_some</c>.</summary>
internal static class JsonLogicData
{
    public static object? Var(object? path, object? fallback, object? data)
    {
        var notFound = ReferenceEquals(fallback, JsValues.Undefined) ? null : fallback;
        if (ReferenceEquals(path, JsValues.Undefined) || path is null or "")
        {
            return data;
        }

        foreach (var name in JsValues.ToStr(path).Split('.'))
        {
            if (JsValues.IsNullish(data))
            {
                return notFound;
            }

            data = Property(data, name);
            if (ReferenceEquals(data, JsValues.Undefined))
            {
                return notFound;
            }
        }

        return data;
    }

    private static object? Property(object? target, string name)
    {
        switch (target)
        {
            case JsObject map:
                return map.TryGetValue(name, out var value) ? value : JsValues.Undefined;
            case JsArray array:
                if (name == "length")
                {
                    return (double)array.Count;
                }

                return TryIndex(name, out var index) && index < array.Count ? array[index] : JsValues.Undefined;
            case string text:
                if (name == "length")
                {
                    return (double)text.Length;
                }

                return TryIndex(name, out var at) && at < text.Length ? text[at].ToString() : JsValues.Undefined;
            default:
                return JsValues.Undefined;
        }
    }

    // A canonical array index: digits with no leading zero (or "0"), as JavaScript reads a property name as an index.
    private static bool TryIndex(string name, out int index)
    {
        index = 0;
        if (name.Length is 0 or > 9 || (name.Length > 1 && name[0] == '0'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            index = (index * 10) + (c - '0');
        }

        return true;
    }

    public static JsArray Missing(JsArray args, object? data)
    {
        var keys = args.Count > 0 && args[0] is JsArray first ? first : args;
        var missing = new JsArray();
        foreach (var key in keys)
        {
            var value = JsonLogic.Apply(new JsObject { ["var"] = key }, data);
            if (value is null or "")
            {
                missing.Add(key);
            }
        }

        return missing;
    }

    public static JsArray MissingSome(object? needCount, object? options, object? data)
    {
        var missing = (JsArray)JsonLogic.Apply(new JsObject { ["missing"] = options }, data)!;
        double present = options switch
        {
            JsArray list => list.Count - missing.Count,
            string text => text.Length - missing.Count,
            null => throw new JsonLogicException("Cannot read properties of null (reading 'length')"),
            _ when ReferenceEquals(options, JsValues.Undefined) => throw new JsonLogicException("Cannot read properties of undefined (reading 'length')"),
            _ => double.NaN,
        };
        return JsValues.LessThan(needCount, present, orEqual: true) ? [] : missing;
    }
}
