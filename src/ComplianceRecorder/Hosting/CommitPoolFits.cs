using Microsoft.Extensions.Options;

namespace ComplianceRecorder.Hosting;

/// <summary>
/// Each commit connection borrows one of the recorder's pooled connections per batch, and under load always has a
/// batch in flight; with the pool given over to them, reads, the projection daemon and the membership heartbeat
/// would queue behind commits, so the start refuses a count that leaves less than half the pool to the rest.
/// </summary>
internal sealed class CommitPoolFits(int maxPoolSize) : IValidateOptions<RecorderOptions>
{
    public ValidateOptionsResult Validate(string? name, RecorderOptions options) =>
        options.CommitConnections * 2 > maxPoolSize
            ? ValidateOptionsResult.Fail($"Recorder:CommitConnections ({options.CommitConnections}) must be at most half the recorder's connection pool (Maximum Pool Size = {maxPoolSize} in its connection string)")
            : ValidateOptionsResult.Success;
}
