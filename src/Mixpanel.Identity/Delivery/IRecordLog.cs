using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// One endpoint's first-in, first-out log of records. The engine's loop appends, reads in order, and commits what is
/// done with (delivered or dropped); a crash before a commit reads those records again on the next start. Used by the
/// loop alone, so it takes no locks.
/// </summary>
/// <remarks>
/// Records are numbered consecutively as they are appended. Reading expects the next number; whatever damage or a
/// missing file hides, the next number found says exactly how many records were lost (<see cref="TakeDamaged"/>).
/// </remarks>
internal interface IRecordLog : IDisposable
{
    /// <summary>The number the next appended record gets.</summary>
    long NextNumber { get; }

    /// <summary>Records appended and not yet read.</summary>
    long UnreadCount { get; }

    /// <summary>Bytes of the unread records as stored.</summary>
    long UnreadBytes { get; }

    /// <summary>Records appended since the log was opened, counting those recovered from disk when it was opened.</summary>
    long AppendedTotal { get; }

    /// <summary>Records committed since the log was opened.</summary>
    long CompletedTotal { get; }

    /// <summary>How far reading has got: a batch read now ends here.</summary>
    ReadMark ReadPosition { get; }

    /// <summary>Records appended and known to be on the disk (all of them, in memory).</summary>
    long DurableTotal { get; }

    /// <summary>Making records durable, off the loop; the loop is woken when it ends (null when nothing is).</summary>
    Task? Syncing { get; }

    /// <summary>
    /// Appends frames numbered from <see cref="NextNumber"/>, readable at once. <paramref name="durable"/>: on the disk
    /// before this returns (with everything appended before); else they are made durable off the loop.
    /// </summary>
    /// <exception cref="IOException">The disk failed: nothing was appended.</exception>
    void Append(ByteBuffer frames, int count, bool durable);

    /// <summary>Makes everything appended durable now, on this thread, once what <see cref="Syncing"/> does has ended.</summary>
    /// <exception cref="IOException">The disk failed: the records stay appended, and are made durable by a later call.</exception>
    void Sync();

    /// <summary>Ends what <see cref="Syncing"/> did once it has ended, and starts on what was appended since.</summary>
    /// <exception cref="IOException">Making records durable failed: it is tried again with the next.</exception>
    void CompleteSync();

    /// <summary>The next unread record's header, without consuming it; damage on the way is consumed and counted.</summary>
    /// <exception cref="IOException">The file holding it cannot be read now; nothing was consumed.</exception>
    bool TryPeek(out RecordFrame header);

    /// <summary>Consumes the next unread record (after <see cref="TryPeek"/>), appending its payload to <paramref name="destination"/>; false when it turned out damaged (consumed and counted).</summary>
    bool ReadNext(ByteBuffer destination);

    /// <summary>Consumes the next unread record without reading its payload.</summary>
    void SkipNext();

    /// <summary>Gives up on the file that <see cref="TryPeek"/> cannot read: its unread records are lost and counted.</summary>
    void SkipUnreadableFile();

    /// <summary>Everything read up to <paramref name="upTo"/> is done with: forget it, durably.</summary>
    void CommitRead(ReadMark upTo);

    /// <summary>Records found damaged or missing and consumed since the last call: the caller counts them as dropped.</summary>
    long TakeDamaged();
}

/// <summary>A position in a log's reading: the records consumed before it, and where the next one is.</summary>
internal readonly record struct ReadMark(long Consumed, long SegmentNumber, long Offset, long NextNumber);
