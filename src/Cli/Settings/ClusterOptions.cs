using Cluster.Client;
using Cluster.Contracts;
using Cluster.Coordinator;
using Cluster.Worker;
using static Cluster.Cli.Settings.CommandNames;

namespace Cluster.Cli.Settings;

/// <summary>
/// Every option of the cluster command, each declared once. The parser, each command's `--help`,
/// the validation at start-up, the environment variables and the README's option table
/// (`cluster options --markdown`) all come from this list. A new option is one declaration here,
/// added to <see cref="All"/>; a declaration bound to an options class with <c>Sets</c> reaches
/// that class without more code.
/// </summary>
internal static class ClusterOptions
{
    // ---- the coordinator (cluster coordinator, cluster up) ----

    public static readonly Setting<int> Port = Setting.Int("port", "gRPC port (HTTP/2, cleartext or TLS); 0 picks a free one", CoordinatorScope, 0, 65535, "P")
        .Sets<CoordinatorOptions>(o => o.Port);

    public static readonly Setting<int?> HttpPort = Setting.PortOrNone("http-port", "plain HTTP/1.1 port beside gRPC, on the same address: the dashboard at GET /, GET /metrics (Prometheus text) and GET /healthz (with --tokens, the dashboard and /metrics need an admin token); 0 picks a free one (printed at start), none turns it off", CoordinatorScope)
        .Sets<CoordinatorOptions>(o => o.HttpPort);

    public static readonly Setting<string?> Host = Setting.Text("host", "address to bind; 0.0.0.0 to serve other hosts (needs --tokens, or --insecure)", CoordinatorScope, "ADDR")
        .Sets<CoordinatorOptions>(o => o.Host);

    public static readonly Setting<string?> Redis = Setting.Text("redis", "host:port or a StackExchange.Redis configuration string of the task store", CoordinatorScope, "ADDR")
        .Sets<CoordinatorOptions>(o => o.Redis).Shown("none: the embedded store");

    public static readonly Setting<TimeSpan> StoreWait = Setting.Seconds("store-wait", "at start-up, how long to wait for a task store that does not answer yet, trying again and logging each try", CoordinatorScope, 0, 86_400)
        .Sets<CoordinatorOptions>(o => o.StoreWait);

    public static readonly Setting<string?> Data = Setting.FilePath("data", "directory for the embedded store's append-only log", CoordinatorScope, "DIR")
        .Sets<CoordinatorOptions>(o => o.DataDirectory).Shown("none: memory only");

    public static readonly Setting<string?> Prefix = Setting.Text("prefix", "key prefix and hash tag, so several clusters can share a Redis", CoordinatorScope, "NAME")
        .Sets<CoordinatorOptions>(o => o.KeyPrefix);

    public static readonly Setting<int> MaxPayload = Setting.Int("max-payload", "largest argument payload of one task, in bytes; at most 4 MiB less 64 KiB, so an assignment fits in a message any gRPC peer with default limits receives", CoordinatorScope, 1, WireLimits.MaxPayloadBytes, "BYTES")
        .Sets<CoordinatorOptions>(o => o.MaxPayloadBytes);

    public static readonly Setting<int> MaxResult = Setting.Int("max-result", "largest result of one task, in bytes (same bound); a larger one fails its task with an error naming both sizes", CoordinatorScope, 1, WireLimits.MaxPayloadBytes, "BYTES")
        .Sets<CoordinatorOptions>(o => o.MaxResultBytes);

    public static readonly Setting<long> MaxQueued = Setting.Long("max-queued", "most tasks queued per task name and queue (0: unlimited); past it a submit is refused with ResourceExhausted, or waits (ClusterExecutorOptions.WhenQueueFull)", CoordinatorScope, 0, int.MaxValue)
        .Sets<CoordinatorOptions>(o => o.MaxQueued);

    public static readonly Setting<int> MaxBatch = Setting.Int("max-batch", "most tasks in one Submit call; a larger one is refused with ResourceExhausted naming the limit (the SDK's MaxBatchTasks stays under it)", CoordinatorScope, 1, int.MaxValue)
        .Sets<CoordinatorOptions>(o => o.MaxBatchTasks);

    public static readonly Setting<TimeSpan> Retention = Setting.Seconds("retention", "how long unacknowledged completions, finished-task ids and idempotency keys are kept", CoordinatorScope, 1, int.MaxValue)
        .Sets<CoordinatorOptions>(o => o.Retention);

    public static readonly Setting<TimeSpan> DeadLetterRetention = Setting.Seconds("dead-letter-retention", "how long dead letters are kept", CoordinatorScope, 1, int.MaxValue)
        .Sets<CoordinatorOptions>(o => o.DeadLetterRetention);

    public static readonly Setting<TimeSpan> LeaseMs = Setting.Milliseconds("lease-ms", "how long a worker's leases live without a heartbeat (store clock)", CoordinatorScope, 300, 3_600_000)
        .Sets<CoordinatorOptions>(o => o.LeaseTime);

    public static readonly Setting<TimeSpan> HeartbeatMs = Setting.Milliseconds("heartbeat-ms", "how often workers heartbeat; at most a third of the lease", CoordinatorScope, 100, 600_000)
        .Sets<CoordinatorOptions>(o => o.HeartbeatInterval);

    public static readonly Setting<int> ReplicaAcks = Setting.Int("replica-acks", "Redis only: a state change is acknowledged once this many replicas of its master hold it (WAIT, at most 2 s, then the call fails with Unavailable); 0: no wait", CoordinatorScope, 0, 16)
        .Sets<CoordinatorOptions>(o => o.ReplicaAcks);

    public static readonly Setting<int> Shards = Setting.Int("shards", "shards of the keyspace, each its own hash tag (on Redis Cluster they spread over the masters); a count other than the store's is refused", CoordinatorScope, 1, 1024)
        .Sets<CoordinatorOptions>(o => o.Shards).Shown("the store's; a new store: 1, or 4 per master on Redis Cluster");

    public static readonly Setting<string?> Tokens = Setting.FilePath("tokens", "tokens file, one grant per line: ROLE NAME TOKEN (client, worker, admin; a worker line may end with names=a,b); read again when it changes", CoordinatorScope)
        .Sets<CoordinatorOptions>(o => o.TokensFile).Shown("none: every call allowed");

    public static readonly Setting<bool> Insecure = Setting.Switch("insecure", "allows a non-loopback --host without --tokens", CoordinatorScope)
        .Sets<CoordinatorOptions>(o => o.Insecure);

    public static readonly Setting<int> MaxStreams = Setting.Int("max-streams", "streams (completion streams and worker connections) one identity holds open on a coordinator; its submit streams count apart, against the same number", CoordinatorScope, 1, int.MaxValue)
        .Sets<CoordinatorOptions>(o => o.MaxStreamsPerIdentity);

    public static readonly Setting<int> MaxSessions = Setting.Int("max-sessions", "sessions one identity streams completions of on a coordinator at once", CoordinatorScope, 1, int.MaxValue)
        .Sets<CoordinatorOptions>(o => o.MaxSessionsPerIdentity);

    public static readonly Setting<string?> TlsCert = Setting.FilePath("tls-cert", "PEM certificate (chain) to serve HTTP/2 over TLS with; with --tls-key", CoordinatorScope)
        .Sets<CoordinatorOptions>(o => o.TlsCertificateFile).Shown("none: cleartext");

    public static readonly Setting<string?> TlsKey = Setting.FilePath("tls-key", "PEM private key of --tls-cert", CoordinatorScope)
        .Sets<CoordinatorOptions>(o => o.TlsKeyFile);

    public static readonly Setting<string?> TlsClientCa = Setting.FilePath("tls-client-ca", "PEM CA whose client certificates workers must present (mutual TLS)", CoordinatorScope)
        .Sets<CoordinatorOptions>(o => o.TlsClientCaFile);

    // ---- the workers (cluster worker, cluster up; the demo's local cluster) ----

    public static readonly Setting<Uri?> Coordinators = Setting.Url("coordinator", "coordinator address; repeat it to give more: a worker whose connection breaks dials the next", CommandNames.Worker | CommandNames.WorkerProcess)
        .Repeated().Mandatory();

    public static readonly Setting<int> Processes = Setting.Int("processes", "worker processes of this host's daemon, each restarted when it dies", CommandNames.Worker | Up | Demo, 1, 1024)
        .WithDefault(Environment.ProcessorCount, "CPU count");

    public static readonly Setting<int> Threads = Setting.Int("threads", "thread-pool size of each worker process, for synchronous handlers", WorkerScope | Demo, 1, 4096)
        .Sets<WorkerOptions>(o => o.Threads).Shown("CPU count × 5");

    public static readonly Setting<int> Coroutines = Setting.Int("coroutines", "async handlers in flight per worker process", WorkerScope | Demo, 1, 1_000_000)
        .Sets<WorkerOptions>(o => o.Coroutines);

    public static readonly Setting<int> Prefetch = Setting.Int("prefetch", "most tasks each thread leases ahead; a worker process leases about 50 ms of work ahead per thread, by the run time of its recent tasks, at least one task and at most 64 MiB of arguments in all", WorkerScope | Demo, 0, 1000)
        .Sets<WorkerOptions>(o => o.PrefetchPerThread);

    public static readonly Setting<string?> Queues = Setting.Text("queues", "comma-separated queues whose tasks the workers take (SubmitOptions.Queue); each 1 to 64 letters, digits or _ . -", WorkerScope, "Q,Q")
        .Shown("default");

    public static readonly Setting<string?> TaskAssemblies = Setting.FilePath("tasks", "task assembly (.dll with ITaskModule types) to load; repeatable", WorkerScope, "PATH")
        .Repeated().Shown("the sample tasks");

    public static readonly Setting<string?> TlsClientCert = Setting.FilePath("tls-client-cert", "PEM certificate a worker presents for mutual TLS; with --tls-client-key", WorkerScope)
        .Sets<WorkerOptions>(o => o.TlsClientCertificate);

    public static readonly Setting<string?> TlsClientKey = Setting.FilePath("tls-client-key", "PEM private key of --tls-client-cert", WorkerScope)
        .Sets<WorkerOptions>(o => o.TlsClientKey);

    // ---- every command that calls a coordinator ----

    public static readonly Setting<string?> Token = Setting.Text("token", "the bearer token to send (a flag wins over the environment); up's own worker gets a token of its own", CallerScope, "T")
        .Sets<WorkerOptions>(o => o.Token).Sets<ClusterExecutorOptions>(o => o.Token);

    public static readonly Setting<string?> TokenFile = Setting.FilePath("token-file", "a file holding the bearer token (instead of --token)", CallerScope);

    public static readonly Setting<string?> TlsCa = Setting.FilePath("tls-ca", "PEM CA to trust for https:// coordinators (up: default, its own certificate)", CallerScope)
        .Sets<WorkerOptions>(o => o.TlsCa).Sets<ClusterExecutorOptions>(o => o.TlsCa).Shown("the system's roots");

    // ---- status, dead-letters, demo ----

    public static readonly Setting<Uri?> Coordinator = Setting.Url("coordinator", "the coordinator to ask", Status | DeadLetters | CommandNames.Task | CommandNames.Schedules | Health)
        .WithDefault(new Uri("http://127.0.0.1:5050"), "http://127.0.0.1:5050");

    public static readonly Setting<bool> Json = Setting.Switch("json", "prints one JSON document instead of tables", Status | DeadLetters | CommandNames.Task | CommandNames.Schedules).CommandLineOnly();

    public static readonly Setting<bool> Wait = Setting.Switch("wait", "waits until the task has finished (as its future would), then prints it", CommandNames.Task).CommandLineOnly();

    public static readonly Setting<string?> Requeue = Setting.Text("requeue", "puts the dead letter with this task id back on its queue", DeadLetters, "ID").CommandLineOnly();

    public static readonly Setting<bool> Purge = Setting.Switch("purge", "deletes every dead letter", DeadLetters).CommandLineOnly();

    public static readonly Setting<int> Limit = Setting.Int("limit", "dead letters per page (oldest first)", DeadLetters, 1, 100_000)
        .WithDefault(100);

    public static readonly Setting<int> Page = Setting.Int("page", "the page of dead letters to show, 1 the oldest", DeadLetters, 1, int.MaxValue)
        .WithDefault(1);

    public static readonly Setting<Uri?> DemoCoordinator = Setting.Url("coordinator", "runs the demo on this cluster instead of a local one", Demo)
        .Shown("none: a local cluster");

    public static readonly Setting<int> DemoTasks = Setting.Int("tasks", "how many tasks the demo submits", Demo, 10, 10_000_000)
        .WithDefault(10_000).FromEnvironment("CLUSTER_DEMO_TASKS");

    // ---- secrets ----

    public static readonly Setting<string?> Out = Setting.FilePath("out", "directory to write the tokens file, the token files and the certificate to", Secrets, "DIR")
        .Mandatory().CommandLineOnly();

    public static readonly Setting<string?> Hosts = Setting.Text("hosts", "comma-separated host names and addresses the certificate is for", Secrets, "A,B")
        .WithDefault("coordinator,localhost,127.0.0.1");

    public static readonly Setting<int> Days = Setting.Int("days", "days the certificate is valid", Secrets, 1, 3650)
        .WithDefault(365);

    public static readonly Setting<bool> Force = Setting.Switch("force", "overwrites secrets already in --out", Secrets).CommandLineOnly();

    // ---- options ----

    public static readonly Setting<bool> Markdown = Setting.Switch("markdown", "prints the README's option table", Options).CommandLineOnly();

    // ---- every command ----

    public static readonly Setting<bool> Verbose = Setting.Switch("verbose", "logs at Information level", CommandNames.All);

    public static readonly Setting<bool> ExitWithParent = Setting.Switch("exit-with-parent", "stops the command when its standard input reaches end of file (its parent is gone)", CommandNames.All)
        .CommandLineOnly();

    /// <summary>Every option, in the order of help and of the README table.</summary>
    public static readonly IReadOnlyList<Setting> All =
    [
        // coordinator
        Port, HttpPort, Host, Redis, StoreWait, Data, Prefix, MaxPayload, MaxResult, MaxQueued, MaxBatch, Retention, DeadLetterRetention,
        LeaseMs, HeartbeatMs, ReplicaAcks, Shards, Tokens, Insecure, MaxStreams, MaxSessions, TlsCert, TlsKey, TlsClientCa,
        // worker
        Coordinators, Processes, Threads, Coroutines, Prefetch, Queues, TaskAssemblies, TlsClientCert, TlsClientKey,
        // callers
        Token, TokenFile, TlsCa,
        // status, dead-letters, demo
        Coordinator, Json, Wait, Requeue, Purge, Limit, Page, DemoCoordinator, DemoTasks,
        // secrets, options
        Out, Hosts, Days, Force, Markdown,
        // every command
        Verbose, ExitWithParent,
    ];

    /// <summary>The options <paramref name="command"/> takes, in table order.</summary>
    public static IEnumerable<Setting> For(CommandNames command) => All.Where(s => s.Commands.HasFlag(command));
}
