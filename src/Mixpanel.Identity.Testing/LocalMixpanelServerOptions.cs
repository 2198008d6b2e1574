using System.Collections.Concurrent;

namespace Mixpanel.Identity.Testing;

/// <summary>
/// How a <see cref="LocalMixpanelServer"/> authenticates and validates what it receives. The server reads these on every
/// request, so a test may change them while the server runs.
/// </summary>
public sealed class LocalMixpanelServerOptions
{
    /// <summary>
    /// The project token every record must carry (<c>properties.token</c> on <c>/track</c>, <c>$token</c> on <c>/engage</c> and
    /// <c>/groups</c>). A request with any record whose token is missing or different is answered 401 and nothing in it is
    /// ingested.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: tokens are not checked.</value>
    public string? ProjectToken { get; set; }

    /// <summary>
    /// The project's API secret, which <c>/import</c> then takes as HTTP Basic credentials (the secret as user name, an empty
    /// password). Once a secret or a service account is configured, <c>/import</c> answers 401 to a request without valid
    /// credentials, and also takes, as Mixpanel does, the project token as user name with an empty password when there is no
    /// <c>project_id</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: with no service account either, <c>/import</c> needs no credentials.</value>
    public string? ApiSecret { get; set; }

    /// <summary>
    /// Service accounts <c>/import</c> takes as HTTP Basic credentials, user name to secret. A request authenticated by one
    /// must name its project in the <c>project_id</c> query parameter, which must equal <see cref="ProjectId"/> when that is set.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IDictionary<string, string> ServiceAccounts { get; } = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The project's id, which requests authenticated by a service account must give as <c>project_id</c>.</summary>
    /// <value>The default value is <see langword="null"/>: any <c>project_id</c> is taken.</value>
    public string? ProjectId { get; set; }

    /// <summary>
    /// Whether the server speaks HTTPS, with a self-signed certificate for 127.0.0.1 and localhost made when it starts
    /// (<see cref="LocalMixpanelServer.Certificate"/>), as clients that send a secret only over HTTPS need (Mixpanel's node
    /// library does). Read when the server starts.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: plain HTTP.</value>
    public bool UseHttps { get; set; }

    /// <summary>
    /// The server's clock: "now" for validating event times, and the clock <see cref="ServerFault.Delay(TimeSpan)"/> waits on.
    /// Give it a <c>FakeTimeProvider</c> to control both from a test.
    /// </summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Whether the server keeps what it receives. When <see langword="false"/> it validates and counts only, in bounded memory
    /// (for benchmarks): <see cref="LocalMixpanelServer.Requests"/>, <see cref="LocalMixpanelServer.Records"/>,
    /// <see cref="LocalMixpanelServer.DeduplicatedRecords"/> and <see cref="LocalMixpanelServer.RejectedRecords"/> stay empty while
    /// the counters go on.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool RetainRecords { get; set; } = true;

    /// <summary>
    /// Whether one invalid record makes the server refuse the whole request. When <see langword="false"/> the server behaves like
    /// <c>/import?strict=1</c>: it answers 400 listing the invalid records in <c>failed_records</c> and ingests the rest. When
    /// <see langword="true"/> it answers the same 400 but ingests nothing, which exercises a client's bisecting of a batch.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool RejectWholeBatchOnError { get; set; }

    /// <summary>The loopback port to listen on; 0 picks a free one.</summary>
    /// <value>The default value is 0.</value>
    public int Port { get; set; }
}
