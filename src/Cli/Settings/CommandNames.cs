namespace Cluster.Cli.Settings;

/// <summary>The commands an option belongs to.</summary>
[Flags]
internal enum CommandNames
{
    None = 0,
    Up = 1,
    Coordinator = 2,
    Worker = 4,
    Demo = 8,
    Status = 16,
    DeadLetters = 32,
    Secrets = 64,
    Options = 128,

    /// <summary>One worker process, started by the worker daemon; not for people to type.</summary>
    WorkerProcess = 256,
    Health = 512,
    Task = 1024,
    Schedules = 2048,

    /// <summary>Every option of a coordinator: `cluster coordinator` and `cluster up`.</summary>
    CoordinatorScope = Coordinator | Up,

    /// <summary>Every option of a worker: `cluster worker`, `cluster up`, and the worker processes the daemon starts.</summary>
    WorkerScope = Worker | Up | WorkerProcess,

    /// <summary>Every command that calls a coordinator.</summary>
    CallerScope = Status | Health | DeadLetters | Task | Schedules | Demo | Worker | Up | WorkerProcess,

    All = Up | Coordinator | Worker | Demo | Status | Health | DeadLetters | Task | Schedules | Secrets | Options | WorkerProcess,
}

/// <summary>The command-line words of <see cref="CommandNames"/>.</summary>
internal static class CommandWords
{
    /// <summary>The commands people type, in the order help and the README list them.</summary>
    public static readonly IReadOnlyList<(CommandNames Command, string Word)> Public =
    [
        (CommandNames.Up, "up"),
        (CommandNames.Coordinator, "coordinator"),
        (CommandNames.Worker, "worker"),
        (CommandNames.Demo, "demo"),
        (CommandNames.Status, "status"),
        (CommandNames.Health, "health"),
        (CommandNames.DeadLetters, "dead-letters"),
        (CommandNames.Task, "task"),
        (CommandNames.Schedules, "schedules"),
        (CommandNames.Secrets, "secrets"),
        (CommandNames.Options, "options"),
    ];

    public static string Of(CommandNames command) =>
        command == CommandNames.WorkerProcess ? "worker-process" : Public.First(p => p.Command == command).Word;

    /// <summary>"coordinator, up" for the public commands of <paramref name="commands"/>.</summary>
    public static string List(CommandNames commands)
    {
        var words = Public.Where(p => commands.HasFlag(p.Command)).Select(p => p.Word).ToList();
        return words.Count == Public.Count ? "all" : string.Join(", ", words);
    }
}
