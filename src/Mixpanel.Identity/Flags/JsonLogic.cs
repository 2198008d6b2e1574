namespace Mixpanel.Identity.Flags;

/// <summary>
/// JsonLogic as json-logic-js 2.0.5 runs it (the evaluator of Mixpanel's node SDK), with Mixpanel's
/// <c>semver_compare</c> and <c>datetime_compare</c>. Rules and data are JavaScript values (<see cref="JsValues"/>); a
/// rule that json-logic-js would throw on throws <see cref="JsonLogicException"/>.
/// </summary>
internal static class JsonLogic
{
    public static object? Apply(object? logic, object? data)
    {
        if (logic is JsArray list)
        {
            var mapped = new JsArray(list.Count);
            foreach (var item in list)
            {
                mapped.Add(Apply(item, data));
            }

            return mapped;
        }

        if (logic is not JsObject { Count: 1 } rule)
        {
            return logic;
        }

        string op = null!;
        object? raw = null;
        foreach (var pair in rule)
        {
            (op, raw) = (pair.Key, pair.Value);
        }

        // A single argument may be written without its array: {"var": "x"} is {"var": ["x"]}.
        var values = raw as JsArray ?? new JsArray(1) { raw };
        switch (op)
        {
            case "if" or "?:":
                return If(values, data);
            case "and":
            case "or":
                object? current = JsValues.Undefined;
                foreach (var value in values)
                {
                    current = Apply(value, data);
                    if (IsTruthy(current) == (op == "or"))
                    {
                        return current;
                    }
                }

                return current;
            case "filter" or "map" or "reduce" or "all" or "none" or "some":
                return OverArray(op, values, data);
        }

        var args = new JsArray(values.Count);
        foreach (var value in values)
        {
            args.Add(Apply(value, data));
        }

        return Operate(op, args, data);
    }

    /// <summary>json-logic-js's truthiness: JavaScript's, except that an empty array is false.</summary>
    public static bool IsTruthy(object? value) => value is JsArray { Count: 0 } ? false : JsValues.Truthy(value);

    private static object? Arg(JsArray args, int index) => index < args.Count ? args[index] : JsValues.Undefined;

    private static object? If(JsArray values, object? data)
    {
        int i;
        for (i = 0; i < values.Count - 1; i += 2)
        {
            if (IsTruthy(Apply(values[i], data)))
            {
                return Apply(values[i + 1], data);
            }
        }

        return values.Count == i + 1 ? Apply(values[i], data) : null;
    }

    private static object? OverArray(string op, JsArray values, object? data)
    {
        var scoped = Apply(Arg(values, 0), data) as JsArray;
        var logic = Arg(values, 1);
        switch (op)
        {
            case "filter":
                var kept = new JsArray();
                foreach (var item in scoped ?? [])
                {
                    if (IsTruthy(Apply(logic, item)))
                    {
                        kept.Add(item);
                    }
                }

                return kept;
            case "map":
                var mapped = new JsArray();
                foreach (var item in scoped ?? [])
                {
                    mapped.Add(Apply(logic, item));
                }

                return mapped;
            case "reduce":
                var accumulator = values.Count > 2 && !ReferenceEquals(values[2], JsValues.Undefined) ? Apply(values[2], data) : null;
                foreach (var item in scoped ?? [])
                {
                    accumulator = Apply(logic, new JsObject { ["current"] = item, ["accumulator"] = accumulator });
                }

                return accumulator;
            default:
                if (scoped is null || scoped.Count == 0)
                {
                    return JsValues.Bool(op == "none");
                }

                // all: the first false decides; none and some: the first true decides.
                foreach (var item in scoped)
                {
                    if (IsTruthy(Apply(logic, item)) != (op == "all"))
                    {
                        return JsValues.Bool(op == "some");
                    }
                }

                return JsValues.Bool(op != "some");
        }
    }

    private static object? Operate(string op, JsArray args, object? data)
    {
        var a = Arg(args, 0);
        var b = Arg(args, 1);
        switch (op)
        {
            case "==": return JsValues.Bool(JsValues.LooseEquals(a, b));
            case "===": return JsValues.Bool(JsValues.StrictEquals(a, b));
            case "!=": return JsValues.Bool(!JsValues.LooseEquals(a, b));
            case "!==": return JsValues.Bool(!JsValues.StrictEquals(a, b));
            case ">": return JsValues.Bool(JsValues.LessThan(b, a, orEqual: false));
            case ">=": return JsValues.Bool(JsValues.LessThan(b, a, orEqual: true));
            case "<" or "<=":
                var orEqual = op == "<=";
                var c = Arg(args, 2);
                return JsValues.Bool(ReferenceEquals(c, JsValues.Undefined)
                    ? JsValues.LessThan(a, b, orEqual)
                    : JsValues.LessThan(a, b, orEqual) && JsValues.LessThan(b, c, orEqual));
            case "!!": return JsValues.Bool(IsTruthy(a));
            case "!": return JsValues.Bool(!IsTruthy(a));
            case "%": return JsValues.ToNumber(a) % JsValues.ToNumber(b);
            case "log": return a;
            case "in": return JsValues.Bool(In(a, b));
            case "cat": return Cat(args);
            case "substr": return Substr(a, b, Arg(args, 2));
            case "+":
                double sum = 0;
                foreach (var arg in args)
                {
                    sum = JsNumbers.ParseFloat(sum) + JsNumbers.ParseFloat(arg);
                }

                return sum;
            case "*":
                if (args.Count == 0)
                {
                    throw new JsonLogicException("Reduce of empty array with no initial value");
                }

                var product = args[0];
                for (var i = 1; i < args.Count; i++)
                {
                    product = JsNumbers.ParseFloat(product) * JsNumbers.ParseFloat(args[i]);
                }

                return product;
            case "-":
                return ReferenceEquals(b, JsValues.Undefined) ? -JsValues.ToNumber(a) : JsValues.ToNumber(a) - JsValues.ToNumber(b);
            case "/": return JsValues.ToNumber(a) / JsValues.ToNumber(b);
            case "min" or "max": return MinMax(args, op == "max");
            case "merge":
                var merged = new JsArray();
                foreach (var arg in args)
                {
                    if (arg is JsArray inner)
                    {
                        merged.AddRange(inner);
                    }
                    else
                    {
                        merged.Add(arg);
                    }
                }

                return merged;
            case "var": return JsonLogicData.Var(a, b, data);
            case "missing": return JsonLogicData.Missing(args, data);
            case "missing_some": return JsonLogicData.MissingSome(a, b, data);
            case "semver_compare": return JsValues.Bool(args.Count == 3 && MixpanelOperators.SemverCompare(a, b, args[2]));
            case "datetime_compare": return JsValues.Bool(args.Count == 3 && MixpanelOperators.DatetimeCompare(a, b, args[2]));
            default: throw new JsonLogicException("Unrecognized operation " + op);
        }
    }

    private static bool In(object? a, object? b)
    {
        if (!JsValues.Truthy(b))
        {
            return false;
        }

        return b switch
        {
            string text => text.Contains(JsValues.ToStr(a)),
            JsArray array => array.Exists(item => JsValues.StrictEquals(item, a)),
            _ => false,
        };
    }

    private static string Cat(JsArray args)
    {
        var text = new System.Text.StringBuilder();
        foreach (var arg in args)
        {
            if (!JsValues.IsNullish(arg))
            {
                text.Append(JsValues.ToStr(arg));
            }
        }

        return text.ToString();
    }

    private static string Substr(object? source, object? start, object? length)
    {
        var text = JsValues.ToStr(source);
        if (JsValues.LessThan(length, 0d, orEqual: false))
        {
            // json-logic-js emulates PHP here: temp.substr(0, temp.length + end), with JavaScript's '+'.
            var rest = SubstrCore(text, start, JsValues.Undefined);
            var end = JsValues.ToPrimitive(length);
            object? count = end is string s ? JsNumbers.NumberToString(rest.Length) + s : rest.Length + JsValues.ToNumber(end);
            return SubstrCore(rest, 0d, count);
        }

        return SubstrCore(text, start, length);
    }

    private static string SubstrCore(string text, object? start, object? length)
    {
        var size = text.Length;
        var from = ToIntegerOrInfinity(start);
        from = double.IsNegativeInfinity(from) ? 0 : from < 0 ? Math.Max(size + from, 0) : Math.Min(from, size);
        var count = ReferenceEquals(length, JsValues.Undefined) ? size : ToIntegerOrInfinity(length);
        count = Math.Min(Math.Max(count, 0), size);
        var to = Math.Min(from + count, size);
        return from >= to ? string.Empty : text.Substring((int)from, (int)(to - from));
    }

    private static double ToIntegerOrInfinity(object? value)
    {
        var number = JsValues.ToNumber(value);
        return double.IsNaN(number) ? 0 : Math.Truncate(number);
    }

    private static double MinMax(JsArray args, bool max)
    {
        var result = max ? double.NegativeInfinity : double.PositiveInfinity;
        foreach (var arg in args)
        {
            var number = JsValues.ToNumber(arg);
            if (double.IsNaN(number))
            {
                return double.NaN;
            }

            // -0 is below +0 for Math.min and Math.max.
            var better = max
                ? number > result || (number == 0 && result == 0 && !IsNegativeZero(number))
                : number < result || (number == 0 && result == 0 && IsNegativeZero(number));
            if (better)
            {
                result = number;
            }
        }

        return result;
    }

    private static bool IsNegativeZero(double value) => value == 0 && BitConverter.DoubleToInt64Bits(value) < 0;

}

/// <summary>A rule json-logic-js would throw on (an unknown operation, a reduce of nothing): the rule does not hold.</summary>
internal sealed class JsonLogicException(string message) : Exception(message);
