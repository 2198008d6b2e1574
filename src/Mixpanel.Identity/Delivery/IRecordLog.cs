using Mixpanel.Identity.Payloads;

namespace Mixpanel.Identity.Delivery;

/// <summary>
/// One endpoint's first-in, first-out log of records. Records are appended by the writer, read in order by the
/// sender, and forgotten only when <see cref="CommitRead()"/> says everything read so far was delivered or dropped; a
/// crash before that re-reads them on the next start. Callers hold the store's lock for everything but the I/O half
/// of <see cref="Append"/>, which the log guards itself.
/// </summary>
internal interface IRecordLog : IDisposable
{
    /// <summary>Records appended and not yet read.</summary>
    long UnreadCount { get; }

    /// <summary>Bytes of the unread records as stored.</summary>
    long UnreadBytes { get; }

    /// <summary>Records appended since the log was opened, counting those recovered from disk when it was opened.</summary>
    long AppendedTotal { get; }

    /// <summary>Records committed since the log was opened.</summary>
    long CompletedTotal { get; }

    /// <summary>Appends laid-out frames and makes them durable; called by the writer only, without the store's lock.</summary>
    void Append(ByteBuffer frames, int count);

    /// <summary>The next unread record's header, without consuming it.</summary>
    bool TryPeek(out RecordFrame header);

    /// <summary>
    /// Consumes the next unread record, appending its payload to <paramref name="destination"/>. False when there is
    /// none, or when it was damaged: then it is consumed, not returned, and reported by <see cref="TakeDamaged"/>.
    /// </summary>
    bool TryReadNext(ByteBuffer destination);

    /// <summary>Consumes the next unread record without reading its payload.</summary>
    bool SkipNext();

    /// <summary>How far reading has got: a batch leased now ends here.</summary>
    ReadMark ReadPosition { get; }

    /// <summary>Everything read so far is done with: forget it, durably.</summary>
    void CommitRead();

    /// <summary>Everything read up to <paramref name="upTo"/> is done with; what was read after it is not.</summary>
    void CommitRead(ReadMark upTo);

    /// <summary>
    /// Records found damaged and consumed (as read) since the last call: the caller counts them as dropped. Damage
    /// is consumed wherever it is met, by a peek as much as a read, so it can never stall a reader.
    /// </summary>
    long TakeDamaged();
}

/// <summary>
/// A position in a log's reading: the records consumed before it since the log was opened, and where the next one starts
/// (a segment and offset in it, for a log on disk).
/// </summary>
internal readonly record struct ReadMark(long Consumed, object? Segment, long Offset);
