namespace Mixpanel.Identity.Testing;

internal static class ResolutionConstants
{
    // Original ID Merge caps an identity cluster at 500 distinct ids (docs: "Identifying Users (Original)", $merge and FAQ;
    // spec/MIXPANEL.md). Simplified ID Merge has no cap.
    internal const int ClusterLimit = 500;

    // Our choice: warn at 80% of the cap. A cluster grows by one id per reset-then-login, so 100 ids of headroom is enough to
    // ship a fix before Mixpanel starts turning new sessions into separate users.
    internal const int ClusterWarningThreshold = 400;

    // Our choice: two device ids for one user are normal (a phone and a laptop, or one logout and login); three in a test
    // stream mean the app resets while the same user stays signed in (on every start, or on a profile switch).
    internal const int RepeatedResetDeviceCount = 3;

    internal const string DevicePrefix = "$device:";
    internal const string IdentifyEvent = "$identify";
    internal const string CreateAliasEvent = "$create_alias";
    internal const string MergeEvent = "$merge";
}
