using System.IO.MemoryMappedFiles;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Mixpanel.Identity.Diagnostics;
using Mixpanel.Identity.Storage;

namespace Mixpanel.Identity.Users;

/// <summary>
/// The identity on disk, shared by every process using the storage directory: one small file, replaced atomically,
/// changed only under a cross-process lock; and a change counter in shared memory that every process reads on every
/// call, so that an <c>Identify</c> or <c>Reset</c> in one process is seen by the others at their next call. In
/// memory (<see cref="InMemory"/>) it is one field, and the counter never moves.
/// </summary>
internal sealed class IdentityStore
{
    public const string FileName = "identity.json";
    public const string LockFileName = "identity.lock";
    public const string VersionFileName = "identity.version";

    // The lock is held for a file write; a holder this long is stuck, and the operation is tried again later.
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly string? _directory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ChangeCounter? _changes;
    private IdentityState? _memory;

    private IdentityStore(string? directory, TimeProvider timeProvider, ILogger logger, ChangeCounter? changes)
    {
        _directory = directory;
        _timeProvider = timeProvider;
        _logger = logger;
        _changes = changes;
    }

    /// <summary>The storage directory; null in memory.</summary>
    public string? Directory => _directory;

    public bool IsDurable => _directory is not null;

    /// <summary>A number that changes whenever any process saves the identity: a few nanoseconds to read.</summary>
    public int Version => _changes?.Value ?? 0;

    private string FilePath => Path.Combine(_directory!, FileName);

    public static IdentityStore InMemory(TimeProvider timeProvider, ILogger logger) => new(null, timeProvider, logger, null);

    /// <summary>Opens the identity in <paramref name="directory"/> (which must exist, and which the caller has claimed in this process: <see cref="DirectoryClaim"/>).</summary>
    public static IdentityStore OpenOnDisk(string directory, TimeProvider timeProvider, ILogger logger) =>
        new(directory, timeProvider, logger, ChangeCounter.Open(Path.Combine(directory, VersionFileName)));

    /// <summary>Takes the cross-process lock for a read-modify-write of the identity.</summary>
    /// <exception cref="IOException">Another process held the lock too long, or the lock file cannot be opened.</exception>
    public IDisposable Lock() =>
        _directory is null ? NoLock.Instance : StorageFiles.Lock(Path.Combine(_directory, LockFileName), _timeProvider, LockTimeout);

    /// <summary>
    /// The stored identity, read under <see cref="Lock"/>, or made and saved when there is none yet (or it was damaged:
    /// the damaged file is kept aside as <c>.corrupt</c> and logged).
    /// </summary>
    /// <exception cref="IOException">The file exists but could not be read: it must not be replaced.</exception>
    public IdentityState ReadOrCreate(Func<IdentityState> create)
    {
        if (_directory is null)
        {
            return _memory ??= create();
        }

        if (TryRead(setAsideIfDamaged: true) is { } state)
        {
            return state;
        }

        var fresh = create();
        Save(fresh);
        return fresh;
    }

    /// <summary>
    /// The stored identity read without the lock (a file is only ever replaced whole); null when there is none, it is
    /// damaged or cannot be read now. For a process catching up with another's change.
    /// </summary>
    public IdentityState? ReadLatest()
    {
        if (_directory is null)
        {
            return _memory;
        }

        try
        {
            return TryRead(setAsideIfDamaged: false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Log.IdentityUnreadable(_logger, exception);
            return null;
        }
    }

    /// <summary>Saves <paramref name="state"/> (under <see cref="Lock"/>): a temporary file, flushed, renamed over the identity.</summary>
    public void Save(IdentityState state)
    {
        if (_directory is null)
        {
            _memory = state;
            return;
        }

        var content = IdentityFile.Serialize(state);
        var temporary = FilePath + ".tmp";
        using (var stream = StorageFiles.OpenOwnerOnly(temporary))
        {
            stream.Write(content, 0, content.Length);
            stream.Flush(flushToDisk: true);
        }

        StorageFiles.ReplaceWith(temporary, FilePath);
        _changes!.Increment();
    }

    private IdentityState? TryRead(bool setAsideIfDamaged)
    {
        var info = new FileInfo(FilePath);
        if (!info.Exists)
        {
            return null;
        }

        string reason;
        if (info.Length > IdentityFile.MaxFileBytes)
        {
            reason = $"it is {info.Length} bytes long";
        }
        else
        {
            // A read error is not damage: it propagates, and the file stays untouched.
            var content = File.ReadAllBytes(FilePath);
            try
            {
                return IdentityFile.Deserialize(content);
            }
            catch (Exception exception) when (exception is JsonException or FormatException or InvalidOperationException)
            {
                reason = exception.Message;
            }
        }

        if (setAsideIfDamaged)
        {
            var corruptPath = FilePath + ".corrupt";
            StorageFiles.ReplaceWith(FilePath, corruptPath);
            Log.IdentityCorrupt(_logger, corruptPath, reason);
        }

        return null;
    }

    /// <summary>
    /// The change counter in shared memory. Every call of the client reads it, from any thread, possibly while the client
    /// is being disposed, so the memory is never unmapped while anything can still read it: only when the counter is
    /// collected, by its finalizer.
    /// </summary>
    private sealed unsafe class ChangeCounter
    {
        private const int PageBytes = 4096;

        private readonly MemoryMappedFile _map;
        private readonly MemoryMappedViewAccessor _view;
        private readonly int* _value;

        private ChangeCounter(MemoryMappedFile map, MemoryMappedViewAccessor view)
        {
            _map = map;
            _view = view;
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _value = (int*)(pointer + view.PointerOffset);
        }

        ~ChangeCounter()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map.Dispose();
        }

        public int Value => Volatile.Read(ref *_value);

        public static ChangeCounter Open(string path)
        {
            MemoryMappedFile? map = null;
            try
            {
                using (var file = StorageFiles.OpenOwnerOnly(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
                {
                    // Real blocks, never a sparse file: a write to a mapped hole on a full disk is a SIGBUS, not an
                    // exception. On a full disk this throws, and the client keeps its identity in memory.
                    FileBlocks.Allocate(file, PageBytes);

                    map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
                }

                return new ChangeCounter(map, map.CreateViewAccessor(0, sizeof(long), MemoryMappedFileAccess.ReadWrite));
            }
            catch
            {
                map?.Dispose();
                throw;
            }
        }

        /// <summary>Under the identity lock: tells every process the identity changed.</summary>
        public void Increment() => Interlocked.Increment(ref *_value);
    }

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }
}
