using System.Reflection;
using System.Reflection.Emit;
using FluentAssertions;
using Xunit;

namespace Mixpanel.Identity.Tests.Architecture;

/// <summary>
/// The SDK's folders depend on each other one way: Protocol ← Payloads ← Users ← Delivery ← the facade. Read from the
/// compiled assembly: every type each type names in its signatures and in its method bodies.
/// </summary>
public sealed class LayerTests
{
    private const string Root = "Mixpanel.Identity";

    // Public values every layer may speak of: the options and the enums of the public API.
    private static readonly HashSet<string> Vocabulary =
    [
        $"{Root}.{nameof(DropReason)}", $"{Root}.{nameof(IdMergeApi)}", $"{Root}.{nameof(StorageMode)}",
        $"{Root}.{nameof(MixpanelOptions)}", $"{Root}.{nameof(MixpanelApiHosts)}",
        $"{Root}.{nameof(MixpanelEvent)}", $"{Root}.{nameof(MixpanelProfileUpdate)}", $"{Root}.{nameof(MixpanelDeviceInfo)}",
        $"{Root}.{nameof(MixpanelImportEvent)}", $"{Root}.{nameof(MixpanelImportProgress)}", $"{Root}.{nameof(MixpanelImportFailure)}",
        $"{Root}.{nameof(MixpanelImportResult)}",
    ];

    private static readonly Dictionary<string, string[]> MayUse = new()
    {
        ["Compatibility"] = [],
        ["Protocol"] = ["Compatibility"],
        ["Storage"] = ["Compatibility"],
        ["Diagnostics"] = ["Protocol", "Compatibility"],
        ["Payloads"] = ["Protocol", "Compatibility"],
        ["Users"] = ["Payloads", "Protocol", "Storage", "Diagnostics", "Compatibility"],
        ["Delivery"] = ["Users", "Payloads", "Protocol", "Storage", "Diagnostics", "Compatibility"],
    };

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(static field => (OpCode)field.GetValue(null)!)
        .ToDictionary(static code => code.Value);

    [Fact]
    public void Layers_DependOnEachOtherOneWayOnly()
    {
        var assembly = typeof(MixpanelClient).Assembly;
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in assembly.GetTypes())
        {
            var layer = LayerOf(type);
            if (layer is null || !MayUse.TryGetValue(layer, out var allowed))
            {
                continue; // the facade and dependency injection sit on top and may use anything
            }

            foreach (var used in TypesUsedBy(type).Where(used => used.Assembly == assembly && !used.HasElementType && !Outermost(used).Name.StartsWith('<')))
            {
                var usedLayer = LayerOf(used);
                if (usedLayer == layer || allowed.Contains(usedLayer) || Vocabulary.Contains(Outermost(used).FullName!))
                {
                    continue;
                }

                violations.Add($"{Outermost(type).FullName} ({layer}) uses {Outermost(used).FullName} ({usedLayer ?? "the facade"})");
            }
        }

        violations.Should().BeEmpty();
    }

    [Fact]
    public void TheCheck_SeesTypesUsedOnlyInsideMethodBodies()
    {
        // A layer check that read signatures only would miss most uses; this one reads the IL.
        TypesUsedBy(typeof(Probe)).Should().Contain(typeof(System.Text.StringBuilder));
    }

    /// <summary>The folder a type's namespace names (Mixpanel.Identity.Delivery → Delivery); null for the root and anything else.</summary>
    private static string? LayerOf(Type type)
    {
        var space = Outermost(type).Namespace ?? "";
        return space.StartsWith(Root + ".", StringComparison.Ordinal) ? space[(Root.Length + 1)..].Split('.')[0] : null;
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type;
    }

    private static HashSet<Type> TypesUsedBy(Type type)
    {
        var used = new HashSet<Type>();
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        Add(used, type.BaseType);
        foreach (var contract in type.GetInterfaces())
        {
            Add(used, contract);
        }

        foreach (var field in type.GetFields(All))
        {
            Add(used, field.FieldType);
        }

        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo info)
            {
                Add(used, info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(used, parameter.ParameterType);
            }

            foreach (var token in Tokens(method))
            {
                try
                {
                    var member = type.Module.ResolveMember(
                        token,
                        type.IsGenericType ? type.GetGenericArguments() : null,
                        method.IsGenericMethod ? method.GetGenericArguments() : null);
                    Add(used, member as Type ?? member?.DeclaringType);
                    if (member is MethodInfo called)
                    {
                        Add(used, called.ReturnType);
                        foreach (var argument in called.IsGenericMethod ? called.GetGenericArguments() : [])
                        {
                            Add(used, argument);
                        }
                    }
                    else if (member is FieldInfo field)
                    {
                        Add(used, field.FieldType);
                    }
                }
                catch (ArgumentException)
                {
                    // A token that names no member (a string or a signature).
                }
            }
        }

        return used;
    }

    private static void Add(HashSet<Type> used, Type? type)
    {
        if (type is null || !used.Add(type))
        {
            return;
        }

        if (type.HasElementType)
        {
            Add(used, type.GetElementType());
        }

        if (type.IsGenericType)
        {
            foreach (var argument in type.GetGenericArguments())
            {
                Add(used, argument);
            }
        }
    }

    /// <summary>The member tokens in a method body's IL.</summary>
    private static IEnumerable<int> Tokens(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var position = 0;
        while (position < il.Length)
        {
            var value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            var code = OpCodesByValue[value];
            position += code.Size;
            switch (code.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    yield return BitConverter.ToInt32(il, position);
                    position += 4;
                    break;
                case OperandType.InlineSwitch:
                    position += 4 + (4 * BitConverter.ToInt32(il, position));
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    position += 8;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    position += 1;
                    break;
                case OperandType.InlineVar:
                    position += 2;
                    break;
                default:
                    position += 4;
                    break;
            }
        }
    }

    private static class Probe
    {
        public static int Length() => new System.Text.StringBuilder("probe").Length;
    }
}
