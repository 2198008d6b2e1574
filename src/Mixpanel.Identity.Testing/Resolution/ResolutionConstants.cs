using Mixpanel.Identity.Protocol;

namespace Mixpanel.Identity.Testing;

internal static class ResolutionConstants
{
    // Our choice: warn at 80% of Original ID Merge's cap. A cluster grows by one id per reset-then-login, so 100 ids of
    // headroom is enough to ship a fix before Mixpanel starts turning new sessions into separate users.
    internal const int ClusterWarningThreshold = MixpanelLimits.MaxIdsPerCluster * 4 / 5;

    // Our choice: two device ids for one user are normal (a phone and a laptop, or one logout and login); three in a test
    // stream mean the app resets while the same user stays signed in (on every start, or on a profile switch).
    internal const int RepeatedResetDeviceCount = 3;
}
