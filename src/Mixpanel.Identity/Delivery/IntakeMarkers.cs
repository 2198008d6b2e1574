using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Delivery;

/// <summary>The user opted out: records of earlier generations are dropped.</summary>
internal sealed class PurgeMarker(int generation) : IntakeMarker
{
    public int Generation { get; } = generation;
}

/// <summary>A flush (<see cref="Deliver"/>) or a persist, waiting for the records given before it.</summary>
internal sealed class FlushRequest(bool deliver) : IntakeMarker
{
    private readonly TaskCompletionSource<bool> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Deliver { get; } = deliver;

    /// <summary>Each endpoint's appended total when the flush was reached.</summary>
    public long[] Targets { get; } = new long[RecordEndpoints.Count];

    public Task Task => _completion.Task;

    public void Complete() => _completion.TrySetResult(true);

    public void Cancel() => _completion.TrySetCanceled();
}
