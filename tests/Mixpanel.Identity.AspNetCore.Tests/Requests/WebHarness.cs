using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.AspNetCore.Tests.Requests;

/// <summary>
/// A real ASP.NET Core app on Kestrel at 127.0.0.1 with cookie sign-in and Mixpanel's request tracking, sending to a
/// <see cref="LocalMixpanelServer"/>; both on one fake clock. Its endpoints are what a site does:
/// <list type="bullet">
/// <item><c>GET /track/{name}</c> tracks an event;</item>
/// <item><c>POST /signup/{userId}</c> signs the user in, identifies them and tracks <c>Signed Up</c>;</item>
/// <item><c>POST /purchase</c> tracks <c>Purchased</c> and sets the user's profile;</item>
/// <item><c>POST /logout</c> tracks <c>Logged Out</c>, signs out and resets, then tracks <c>Left</c> for the new visitor.</item>
/// </list>
/// </summary>
internal sealed class WebHarness : IAsyncDisposable
{
    public const string Token = "web-project-token";
    public const string BrowserCookieName = "mp_" + Token + "_mixpanel";

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false });

    private WebHarness(LocalMixpanelServer mixpanel, WebApplication app, FakeTimeProvider time, FakeLogCollector logs)
    {
        Mixpanel = mixpanel;
        App = app;
        Time = time;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.Single());
    }

    public LocalMixpanelServer Mixpanel { get; }

    public WebApplication App { get; }

    public FakeTimeProvider Time { get; }

    public FakeLogCollector Logs { get; }

    public Uri BaseAddress { get; }

    public MixpanelServerClient Client => App.Services.GetRequiredService<MixpanelServerClient>();

    /// <summary>A safety net for waits, so a broken test fails instead of hanging; never an assertion on time.</summary>
    public static CancellationToken Patience => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    /// <summary>The events Mixpanel keeps, without the <c>$identify</c> links.</summary>
    public IReadOnlyList<ReceivedRecord> Events =>
        [.. Mixpanel.DeduplicatedRecords.Where(r => r.IsEvent && r.EventName != "$identify")];

    public static async Task<WebHarness> StartAsync(
        Action<WebApplication>? endpoints = null,
        Action<MixpanelWebOptions>? web = null,
        Action<MixpanelOptions>? mixpanel = null,
        Action<WebApplication>? beforeMixpanel = null,
        Action<IServiceCollection>? services = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero));
        var logs = new FakeLogCollector();
        var server = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = Token, TimeProvider = time });

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(new FakeLoggerProvider(logs)).SetMinimumLevel(LogLevel.Debug);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddMixpanelServer(
            options =>
            {
                options.ProjectToken = Token;
                options.ApiHost = server.BaseAddress;
                options.Storage = StorageMode.Memory;
                options.FlushInterval = TimeSpan.FromHours(1);
                mixpanel?.Invoke(options);
            },
            web);
        services?.Invoke(builder.Services);

        var app = builder.Build();
        beforeMixpanel?.Invoke(app);
        app.UseAuthentication();
        app.UseMixpanel();
        MapSiteEndpoints(app);
        endpoints?.Invoke(app);
        await app.StartAsync();
        return new WebHarness(server, app, time, logs);
    }

    /// <summary>The app behind a reverse proxy on this machine, whose forwarded headers it trusts (and no other's).</summary>
    public static Action<WebApplication> BehindAProxyAt127001(ForwardedHeaders headers) => app =>
    {
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = headers };
        forwarded.KnownIPNetworks.Clear();
        forwarded.KnownProxies.Clear();
        forwarded.KnownProxies.Add(IPAddress.Loopback);
        app.UseForwardedHeaders(forwarded);
    };

    public TestBrowser NewBrowser(string? userAgent = TestBrowser.ChromeOnMac) => new(_http, BaseAddress, Time, userAgent);

    /// <summary>Delivers every event tracked so far to the local server.</summary>
    public Task FlushAsync() => Client.FlushAsync(Patience);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Mixpanel.DisposeAsync();
        _http.Dispose();
    }

    private static void MapSiteEndpoints(WebApplication app)
    {
        app.MapGet("/track/{name}", (string name, IMixpanelRequestTracker mixpanel) =>
        {
            mixpanel.Track(name);
            return "tracked";
        });

        app.MapPost("/signup/{userId}", async (string userId, HttpContext context, IMixpanelRequestTracker mixpanel, IOptions<MixpanelWebOptions> web) =>
        {
            var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(web.Value.UserIdClaimType, userId)], CookieAuthenticationDefaults.AuthenticationScheme));
            await context.SignInAsync(user);
            mixpanel.Identify(userId);
            mixpanel.Track("Signed Up");
            return "welcome";
        });

        app.MapPost("/purchase", (IMixpanelRequestTracker mixpanel) =>
        {
            mixpanel.Track("Purchased", new Dictionary<string, object?> { ["amount"] = 9.99 });
            mixpanel.People.Set("plan", "pro");
            return "thanks";
        });

        app.MapPost("/logout", async (HttpContext context, IMixpanelRequestTracker mixpanel) =>
        {
            mixpanel.Track("Logged Out");
            await context.SignOutAsync();
            mixpanel.Reset();
            mixpanel.Track("Left");
            return "bye";
        });
    }
}
