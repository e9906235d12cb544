using Microsoft.Extensions.Options;

namespace Cluster.Shared;

/// <summary>
/// Checks options at start-up with their own rules (<paramref name="problem"/>: the first bad
/// setting, named with its range, or null), naming a bad setting by its configuration key when the
/// options came from a section (<c>Cluster:Worker:Threads must be ...</c>), else by its type
/// (<c>WorkerOptions.Threads must be ...</c>). One source file, compiled into each library that
/// binds options.
/// </summary>
internal sealed class SettingsValidator<TOptions>(string? section, Func<TOptions, string?> problem) : IValidateOptions<TOptions>
    where TOptions : class
{
    private readonly string _prefix = section is null ? typeof(TOptions).Name + "." : section + ":";

    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        problem(options) is { } message ? ValidateOptionsResult.Fail(_prefix + message) : ValidateOptionsResult.Success;

    /// <summary>The message of the <see cref="ArgumentException"/> <paramref name="validate"/> throws; null when it throws none.</summary>
    public static string? Problem(Action validate)
    {
        try
        {
            validate();
            return null;
        }
        catch (ArgumentException e)
        {
            return e.ParamName is null ? e.Message : e.Message[..^$" (Parameter '{e.ParamName}')".Length];
        }
    }
}
