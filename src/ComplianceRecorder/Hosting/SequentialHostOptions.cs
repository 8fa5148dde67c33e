using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// The recorder's parts rely on the host starting and stopping its services one after another: started
/// together, the recording could append before the schema and the login were checked; stopped together,
/// the signer and the projections would finish before the drain they exist to follow.
/// </summary>
internal sealed class SequentialHostOptions : IValidateOptions<HostOptions>
{
    public ValidateOptionsResult Validate(string? name, HostOptions options) =>
        options.ServicesStartConcurrently || options.ServicesStopConcurrently
            ? ValidateOptionsResult.Fail("HostOptions.ServicesStartConcurrently and ServicesStopConcurrently must be false where the compliance recorder runs: its stop order is what keeps a drain's commits signed and projected")
            : ValidateOptionsResult.Success;
}
