using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace ComplianceRecorder.Web;

/// <summary>The two roles as authorization policies; an auditor is also a viewer.</summary>
internal static class Policies
{
    // policy names are prefixed, as an embedding host has policies of its own; the role claims are not
    public const string Viewer = "ComplianceRecorder.Viewer";
    public const string Auditor = "ComplianceRecorder.Auditor";
    public const string ViewerRole = "viewer";
    public const string AuditorRole = "auditor";
    public const string ComplianceAdmin = "ComplianceRecorder.ComplianceAdmin";
    public const string ComplianceAdminRole = "compliance-admin";

    /// <param name="standalone">
    /// The whole app is the recorder's: its scheme is the default, and a route that names no policy is
    /// closed to all but auditors, so a new one cannot leak to a viewer or anyone. An embedding host keeps
    /// its own default scheme and fallback; every recorder route names its policy and scheme itself.
    /// </param>
    public static void Add(IServiceCollection services, bool standalone)
    {
        (standalone ? services.AddAuthentication(ApiKeyAuthentication.SchemeName) : services.AddAuthentication())
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        if (!standalone)
        {
            // ASP.NET Core takes a lone scheme as the default. A host with none of its own must not get ours as
            // its default, or a recorder key would sign in to the host's own routes: that rule is switched off
            // (the switch is the framework's own, and process-wide). A host with one scheme of its own relied on
            // it, and with ours added would have none: its scheme is made the default explicitly instead.
            AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
            services.PostConfigure<AuthenticationOptions>(o =>
            {
                var own = o.Schemes.Where(s => s.Name != ApiKeyAuthentication.SchemeName).ToList();
                if (o.DefaultScheme is null && own.Count == 1)
                {
                    o.DefaultScheme = own[0].Name;
                }
            });
        }
        var auditor = new AuthorizationPolicyBuilder(ApiKeyAuthentication.SchemeName).RequireAuthenticatedUser().RequireRole(AuditorRole).Build();
        var authorization = services.AddAuthorizationBuilder()
            .AddPolicy(Viewer, p => p.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName).RequireAuthenticatedUser().RequireRole(ViewerRole, AuditorRole))
            .AddPolicy(Auditor, auditor)
            .AddPolicy(ComplianceAdmin, p => p.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName).RequireAuthenticatedUser().RequireRole(ComplianceAdminRole));
        if (standalone)
        {
            authorization.SetFallbackPolicy(auditor);
        }
    }

    public static Caller CallerOf(ClaimsPrincipal user) =>
        new(user.Identity?.Name ?? "", user.IsInRole(AuditorRole) ? Role.Auditor : user.IsInRole(ComplianceAdminRole) ? Role.ComplianceAdmin : Role.Viewer);

    public static string RoleName(Role role) => role switch
    {
        Role.Auditor => AuditorRole,
        Role.ComplianceAdmin => ComplianceAdminRole,
        _ => ViewerRole,
    };
}
