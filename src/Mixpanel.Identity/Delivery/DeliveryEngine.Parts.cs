using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>What the loop keeps per endpoint, and the markers the app's threads hand it.</summary>
internal sealed partial class DeliveryEngine
{
    /// <summary>
    /// One endpoint's state: the batch being sent and its parts still to send, the batch read and made ready behind it,
    /// and its retries.
    /// </summary>
    private sealed class Endpoint(RecordEndpoint kind)
    {
        public RecordEndpoint Kind { get; } = kind;

        /// <summary>The batch being sent; empty when there is none.</summary>
        public Batch Current { get; private set; } = new(kind);

        /// <summary>The batch read after <see cref="Current"/>, its body prepared while Current is on the wire; empty when there is none.</summary>
        public Batch Next { get; private set; } = new(kind);

        /// <summary>Parts of <see cref="Current"/> still to send: the whole, or halves of a part Mixpanel refused whole.</summary>
        public Stack<(int Start, int Count)> Parts { get; } = new();

        public Task<SendResult>? Request { get; set; }

        public (int Start, int Count) RequestPart { get; set; }

        public int Attempt { get; set; }

        /// <summary>When the next request may go (a timestamp); 0 when at once.</summary>
        public long RetryAt { get; set; }

        /// <summary>Records appended up to this total are wanted delivered now (a flush), full batch or not.</summary>
        public long DrainTarget { get; set; }

        public int ReadFailures { get; set; }

        /// <summary>When a file that failed to read may be read again (a timestamp); 0 when at once. Apart from <see cref="RetryAt"/>, which the network's return cuts short.</summary>
        public long ReadRetryAt { get; set; }

        /// <summary>The status that halted this endpoint alone (<c>/import</c>, its credentials refused); 0 while it sends.</summary>
        public int HaltedStatus { get; set; }

        /// <summary>Whether <see cref="Current"/> is still being sent, on the wire or waiting to be sent again.</summary>
        public bool IsBusy => Request is not null || Parts.Count > 0;

        /// <summary>Forgets the batch read behind the current one; returns how many records it held.</summary>
        public int DropNext()
        {
            var dropped = Next.Count;
            if (dropped > 0)
            {
                Next = new Batch(Kind);
            }

            return dropped;
        }

        /// <summary>Current is settled: Next, if any, takes its place.</summary>
        public void Advance()
        {
            var settled = Current;
            settled.Clear();
            Current = Next;
            Next = settled;
            if (Current.Count > 0)
            {
                Parts.Push((0, Current.Count));
            }
        }
    }

    /// <summary>The user opted out: records of earlier generations are dropped.</summary>
    private sealed class PurgeMarker(int generation) : IntakeMarker
    {
        public int Generation { get; } = generation;
    }

    /// <summary>A flush (<see cref="Deliver"/>) or a persist, waiting for the records given before it.</summary>
    private sealed class FlushRequest(bool deliver) : IntakeMarker
    {
        private readonly TaskCompletionSource<bool> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Deliver { get; } = deliver;

        /// <summary>Each endpoint's appended total when the flush was reached.</summary>
        public long[] Targets { get; } = new long[RecordEndpoints.Count];

        public Task Task => _completion.Task;

        public void Complete() => _completion.TrySetResult(true);

        public void Cancel() => _completion.TrySetCanceled();
    }
}
