using Microsoft.Extensions.Options;

namespace Cluster.Worker.Internal;

/// <summary>
/// Checks <see cref="WorkerOptions"/> at start-up with the worker's own rules, naming a bad
/// setting by its configuration key when the options came from a section.
/// </summary>
internal sealed class WorkerOptionsValidator(string? section) : IValidateOptions<WorkerOptions>
{
    private readonly string _prefix = section is null ? $"{nameof(WorkerOptions)}." : section + ":";

    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(_prefix + e.Message);
        }
    }
}
