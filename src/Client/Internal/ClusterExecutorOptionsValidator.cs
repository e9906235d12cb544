using Microsoft.Extensions.Options;

namespace Cluster.Client.Internal;

/// <summary>
/// Checks <see cref="ClusterExecutorOptions"/> at start-up with the executor's own rules, naming
/// a bad setting by its configuration key when the options came from a section.
/// </summary>
internal sealed class ClusterExecutorOptionsValidator(string? section) : IValidateOptions<ClusterExecutorOptions>
{
    private readonly string _prefix = section is null ? $"{nameof(ClusterExecutorOptions)}." : section + ":";

    public ValidateOptionsResult Validate(string? name, ClusterExecutorOptions options)
    {
        if (options.Problem() is { } problem)
        {
            return ValidateOptionsResult.Fail(_prefix + problem[(nameof(ClusterExecutorOptions).Length + 1)..]);
        }
        try
        {
            _ = ClusterExecutor.ParseAddresses(options.Addresses);
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail($"{_prefix}{nameof(ClusterExecutorOptions.Addresses)}: {e.Message[..^" (Parameter 'addresses')".Length]}");
        }
        return ValidateOptionsResult.Success;
    }
}
