using Cluster.Cli.Settings;
using Grpc.Core;

namespace Cluster.Cli;

/// <summary>The one line a failed command prints: what went wrong and what to do about it.</summary>
internal static class CommandFailure
{
    /// <summary>The line for <paramref name="e"/>; null for a cancellation by Ctrl-C or SIGTERM, which is no failure.</summary>
    public static string? Describe(Exception e, SettingValues? values) => e switch
    {
        OperationCanceledException => null,
        UsageException or Coordinator.StoreUnreachableException => e.Message,
        // The options' own checks (CoordinatorOptions.Validate) name the setting.
        ArgumentException => e.Message,
        RpcException { StatusCode: StatusCode.Unauthenticated or StatusCode.PermissionDenied } r =>
            // The coordinator refused the credentials: its message says why (it never holds the token).
            $"the coordinator refused the call ({r.StatusCode}): {r.Status.Detail}",
        RpcException { StatusCode: StatusCode.Unavailable } r =>
            $"cannot reach the coordinator at {Address(values)} ({OneLine(r.Status.Detail)}); check the address (--coordinator), that the coordinator runs, and for https:// its certificate (--tls-ca).",
        RpcException r => $"the coordinator at {Address(values)} answered {r.StatusCode}: {OneLine(r.Status.Detail)}",
        _ => $"{OneLine(e.Message)} ({e.GetType().Name}; --verbose shows where).",
    };

    private static string Address(SettingValues? values) => values?.Command switch
    {
        CommandNames.Status or CommandNames.DeadLetters or CommandNames.Task or CommandNames.Schedules => values.Get(ClusterOptions.Coordinator)?.ToString() ?? "?",
        CommandNames.Demo => values.Get(ClusterOptions.DemoCoordinator)?.ToString() ?? "the local cluster",
        _ => "the given address",
    };

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
