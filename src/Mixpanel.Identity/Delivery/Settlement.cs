using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// What becomes of one part of a batch (a run of its records) given Mixpanel's answer to it: how many Mixpanel took,
/// which it refused for good, and which go again at once. Retries and halts keep the whole part (<see cref="Action"/>).
/// </summary>
/// <param name="Action">The answer's kind, as <see cref="Replies"/> classified it.</param>
/// <param name="Delivered">Records Mixpanel says it took.</param>
/// <param name="Refused">Records refused for good, as indexes within the batch, in the order Mixpanel named them.</param>
/// <param name="RefusedAs">Why they count as dropped.</param>
/// <param name="Resend">Runs of records to send again at once, first run first: halves of a part refused whole, or the valid records of a part Mixpanel did not take.</param>
internal readonly record struct Settled(ReplyAction Action, int Delivered, IReadOnlyList<int> Refused, DropReason RefusedAs, IReadOnlyList<(int Start, int Count)> Resend);

/// <summary>
/// The one settlement of Mixpanel's answers, used by the engine's senders and by the importer alike: a pure function
/// of the part and the classified answer.
/// </summary>
internal static class Settlement
{
    private static readonly (int Start, int Count)[] NoRuns = [];

    public static Settled Settle((int Start, int Count) part, Reply reply)
    {
        switch (reply.Action)
        {
            case ReplyAction.Delivered:
                return new Settled(reply.Action, part.Count, [], DropReason.Rejected, NoRuns);
            case ReplyAction.DropNamed:
                var named = reply.FailedIndexes!;
                var refused = new int[named.Count];
                for (var i = 0; i < named.Count; i++)
                {
                    refused[i] = part.Start + named[i];
                }

                var valid = part.Count - named.Count; // Replies names each record once

                // Mixpanel says how many it imported (/import): fewer than the valid ones means it took none of them for
                // sure (a batch refused whole), so the valid ones go again, and count when they are taken.
                return reply.Imported is { } imported && imported < valid
                    ? new Settled(reply.Action, 0, refused, DropReason.Rejected, ValidRuns(part, named))
                    : new Settled(reply.Action, valid, refused, DropReason.Rejected, NoRuns);
            case ReplyAction.Split when part.Count > 1:
                var half = part.Count / 2;
                return new Settled(reply.Action, 0, [], DropReason.Rejected, [(part.Start, half), (part.Start + half, part.Count - half)]);
            case ReplyAction.Split:
                return new Settled(reply.Action, 0, [part.Start], reply.TooLarge ? DropReason.TooLarge : DropReason.Rejected, NoRuns);
            default:
                // Retry and Halt: the part is kept whole, to be sent again later.
                return new Settled(reply.Action, 0, [], DropReason.Rejected, NoRuns);
        }
    }

    /// <summary>The runs of records between the invalid ones (indexes within the part), first run first.</summary>
    private static List<(int Start, int Count)> ValidRuns((int Start, int Count) part, IReadOnlyList<int> invalid)
    {
        var runs = new List<(int Start, int Count)>();
        var runStart = 0;
        for (var i = 0; i <= part.Count; i++)
        {
            if (i == part.Count || invalid.Contains(i))
            {
                if (i > runStart)
                {
                    runs.Add((part.Start + runStart, i - runStart));
                }

                runStart = i + 1;
            }
        }

        return runs;
    }
}
