using System.ComponentModel.DataAnnotations;

namespace ComplianceRecorder.Hosting;

/// <summary>Sessions of the web surface (section <c>Auth</c>; the keys themselves are read by <see cref="Web.AccessControl"/>); validated at start.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    [Range(0.01, 720, ErrorMessage = "Auth:SessionHours must be a number from {1} to {2}")]
    public double SessionHours { get; set; } = 12;
}
