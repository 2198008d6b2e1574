using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Mixpanel.Identity.AspNetCore;
using Mixpanel.Identity.Testing;

namespace Mixpanel.Identity.AspNetCoreSample;

/// <summary>
/// The shop: a page that runs Mixpanel's browser library, and a server that tracks sign-up, login, purchase and logout
/// for the same people. Without a project token in configuration (<c>Mixpanel:ProjectToken</c>) it sends to a Mixpanel
/// ingestion server embedded in the sample, which can say how Mixpanel will resolve every event.
/// </summary>
public sealed class SampleSite : IAsyncDisposable
{
    /// <summary>The token of the embedded server's project.</summary>
    public const string EmbeddedToken = "sample-project-token";

    private SampleSite(WebApplication app, LocalMixpanelServer? localServer)
    {
        App = app;
        LocalServer = localServer;
        IdMerge = app.Services.GetRequiredService<IOptions<MixpanelOptions>>().Value.IdMerge;
    }

    public WebApplication App { get; }

    /// <summary>The embedded Mixpanel server; null when sending to a real project.</summary>
    public LocalMixpanelServer? LocalServer { get; }

    public IdMergeApi IdMerge { get; }

    public Uri Address => new(App.Urls.First());

    /// <summary>Starts the site with the app's arguments (<c>--urls</c>, <c>--Mixpanel:IdMerge=Simplified</c>, …).</summary>
    public static async Task<SampleSite> StartAsync(string[] args)
    {
        await BrowserLibrary.EnsureInstalledAsync();
        var builder = WebApplication.CreateBuilder(args);
        var mixpanel = builder.Configuration.GetSection("Mixpanel");
        LocalMixpanelServer? localServer = null;
        if (string.IsNullOrWhiteSpace(mixpanel["ProjectToken"]))
        {
            localServer = await LocalMixpanelServer.StartAsync(new LocalMixpanelServerOptions { ProjectToken = EmbeddedToken });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Mixpanel:ProjectToken"] = EmbeddedToken,
                ["Mixpanel:ApiHost"] = localServer.BaseAddress.ToString(),
                ["Mixpanel:BrowserApiHost"] = localServer.BaseAddress.ToString().TrimEnd('/'),
                ["Mixpanel:Storage"] = "Memory",
            });
        }

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddSingleton<Accounts>();
        builder.Services.AddMixpanelServer(mixpanel);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseMixpanel();
        var browser = new ShopPage.BrowserSettings(
            mixpanel["ProjectToken"]!,
            mixpanel["BrowserApiHost"],
            mixpanel["BrowserPersistence"] ?? "cookie",
            app.Services.GetRequiredService<IOptions<MixpanelWebOptions>>().Value.BrowserCookieCrossSubdomain);
        MapShop(app, browser, localServer);
        await app.StartAsync();
        return new SampleSite(app, localServer);
    }

    /// <summary>How Mixpanel will resolve every event received so far, as a Markdown timeline; null when sending to a real project.</summary>
    public string? IdentityTimeline() => LocalServer?.Resolve(IdMerge).ToMarkdown();

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (LocalServer is not null)
        {
            await LocalServer.DisposeAsync();
        }
    }

    private static void MapShop(WebApplication app, ShopPage.BrowserSettings browser, LocalMixpanelServer? localServer)
    {
        // Page views are the server's: the first one too, before the page's library has run.
        app.MapGet("/", (HttpContext context) => Results.Content(ShopPage.Render(context.User, browser), "text/html; charset=utf-8")).TrackPageView();
        app.MapGet("/app.js", () => Results.Text(ShopPage.Script, "text/javascript; charset=utf-8"));
        app.MapGet("/lib/mixpanel.js", () => Results.File(BrowserLibrary.ScriptPath, "text/javascript; charset=utf-8"));
        app.MapGet("/help", () => Results.Content(ShopPage.Help, "text/html; charset=utf-8")).TrackPageView();

        // Sign-up and login: Identify links the visitor's anonymous id (the browser library's, continued) to the user.
        app.MapPost("/signup", async (HttpContext context, Accounts accounts, IMixpanelRequestTracker mixpanel) =>
        {
            if (await UserNameAsync(context) is not { } userName || accounts.Create(userName) is not { } userId)
            {
                return Results.BadRequest("Choose a name that is not taken.");
            }

            await SignInAsync(context, userId, userName);
            mixpanel.Identify(userId);
            mixpanel.People.Set(new Dictionary<string, object?> { ["$name"] = userName, ["plan"] = "free" });
            mixpanel.Track("Signed Up");
            return Results.Redirect("/");
        });

        app.MapPost("/login", async (HttpContext context, Accounts accounts, IMixpanelRequestTracker mixpanel) =>
        {
            if (await UserNameAsync(context) is not { } userName || accounts.Find(userName) is not { } userId)
            {
                return Results.BadRequest("There is no account of that name.");
            }

            await SignInAsync(context, userId, userName);
            mixpanel.Identify(userId);
            mixpanel.Track("Logged In");
            return Results.Redirect("/");
        });

        // Signed in: the request's visitor carries the user id of the sign-in's claim.
        app.MapPost("/purchase", (HttpContext context, IMixpanelRequestTracker mixpanel) =>
        {
            if (context.User.Identity?.IsAuthenticated != true)
            {
                return Results.Unauthorized();
            }

            mixpanel.Track("Purchased", new Dictionary<string, object?> { ["item"] = "plan", ["price"] = 9.99 });
            mixpanel.People.Increment("purchases");
            return Results.Redirect("/");
        });

        // Logout: Reset makes the browser a new anonymous visitor, in the server's cookie and the library's, so that the
        // next person is not taken for this one, whatever the page does.
        app.MapPost("/logout", async (HttpContext context, IMixpanelRequestTracker mixpanel) =>
        {
            mixpanel.Track("Logged Out");
            await context.SignOutAsync();
            mixpanel.Reset();
            return Results.Redirect("/");
        });

        app.MapGet("/identity", async (MixpanelServerClient client, IOptions<MixpanelOptions> options) =>
        {
            if (localServer is null)
            {
                return Results.NotFound("Events go to your Mixpanel project: see them there.");
            }

            await client.FlushAsync();
            return Results.Content(localServer.Resolve(options.Value.IdMerge).ToHtml(), "text/html; charset=utf-8");
        });
    }

    private static async Task<string?> UserNameAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        var userName = form["username"].ToString().Trim();
        return userName.Length is > 0 and <= 64 ? userName : null;
    }

    private static Task SignInAsync(HttpContext context, string userId, string userName) =>
        context.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, userId), new Claim(ClaimTypes.Name, userName)],
            CookieAuthenticationDefaults.AuthenticationScheme)));
}
