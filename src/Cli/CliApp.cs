using System.Runtime.InteropServices;
using Cluster.Cli.Commands;

namespace Cluster.Cli;

internal static class CliApp
{
    public const string Usage = """
        cluster — concurrent.futures on a cluster

        usage:
          cluster up [--port P] [--processes N] [--threads N] [--coroutines N] [--redis ADDR] [--data DIR] [--tasks PATH]... [--tokens FILE]
              a local cluster: coordinator (embedded store unless --redis) and a worker daemon; runs until Ctrl-C
          cluster coordinator [--port P] [--host ADDR] [--redis ADDR] [--data DIR] [--prefix NAME] [--max-payload BYTES] [--lease-ms MS] [--heartbeat-ms MS]
                              [--tokens FILE] [--insecure] [--max-streams N] [--max-sessions N] [--replica-acks N]
              one coordinator
          cluster worker --coordinator URL [--coordinator URL]... [--processes N] [--threads N] [--coroutines N] [--tasks PATH]... [--token T | --token-file F]
              the worker daemon of this host: N worker processes, restarted when they die; with several
              coordinators, a worker whose connection breaks dials the next
          cluster demo [--coordinator URL] [--tasks N] [--processes N]
              runs a mixed workload on a local cluster (or on URL) and checks every result
          cluster status --coordinator URL [--token T | --token-file F]
              workers and queue depths
          cluster dead-letters --coordinator URL [--requeue ID | --purge] [--limit N] [--page N] [--token T | --token-file F]
              tasks that ran past their retry or lost-run bounds, with every attempt's error
          cluster secrets --out DIR [--hosts coordinator,localhost,127.0.0.1] [--days N] [--force]
              writes a tokens file (a client, a worker and an admin identity), one file per token, and a
              self-signed TLS certificate and key for the coordinator's host names

        --redis takes host:port or a StackExchange.Redis configuration string.
        --tasks takes a task assembly (.dll with ITaskModule types); default: the sample tasks.
        --tokens FILE: every call must carry a token of FILE, one grant per line: ROLE NAME TOKEN (roles client,
          worker, admin; a worker line may end with names=a,b). The file is read again when it changes.
          Beyond loopback (--host) a coordinator refuses to start without --tokens, unless --insecure.
        --max-streams N, --max-sessions N: streams (default 1000) and sessions with an open completion stream
          (default 256) one identity may hold on a coordinator.
        --replica-acks N (up, coordinator; Redis only): a state change is acknowledged only once N replicas of
          its master hold it (WAIT, at most 2 s, then the call fails with Unavailable). Default 0.
        --token T, --token-file F, or the environment variable CLUSTER_TOKEN (a flag wins): the bearer token sent.
          `cluster up --tokens FILE` gives its own worker processes a token of their own.
        --verbose logs at Information level.
        TLS (PEM files): --tls-cert FILE --tls-key FILE (up, coordinator) serve https://; --tls-client-ca FILE
            (up, coordinator) makes workers present a certificate that CA signed; --tls-ca FILE (up, worker,
            status, dead-letters) trusts that CA for https:// (up's own worker: default, the coordinator's
            certificate); --tls-client-cert FILE --tls-client-key FILE (up, worker) is a worker's certificate.
        --exit-with-parent stops the command when its standard input reaches end of file (its parent is gone).
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        try
        {
            var rest = args.Skip(1).ToList();
            if (rest.Remove("--exit-with-parent"))
            {
                ParentWatch.Start(stop);
            }
            return args[0] switch
            {
                "up" => await UpCommand.RunAsync(rest, stop.Token),
                "coordinator" => await CoordinatorCommand.RunAsync(rest, stop.Token),
                "worker" => await WorkerCommand.RunDaemonAsync(rest, stop.Token),
                "worker-process" => await WorkerCommand.RunProcessAsync(rest, stop.Token),
                "demo" => await DemoCommand.RunAsync(rest, stop.Token),
                "status" => await StatusCommand.RunAsync(rest, stop.Token),
                "dead-letters" => await DeadLettersCommand.RunAsync(rest, stop.Token),
                "secrets" => await SecretsCommand.RunAsync(rest),
                _ => throw new UsageException($"Unknown command '{args[0]}'."),
            };
        }
        catch (UsageException e)
        {
            await Console.Error.WriteLineAsync($"cluster: {e.Message}\n\n{Usage}");
            return 2;
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"cluster: {e.Message}");
            return 2;
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode is Grpc.Core.StatusCode.Unauthenticated or Grpc.Core.StatusCode.PermissionDenied)
        {
            // The coordinator refused the credentials: its message says why (it never holds the token).
            await Console.Error.WriteLineAsync($"cluster: the coordinator refused the call ({e.StatusCode}): {e.Status.Detail}");
            return 1;
        }
        catch (Coordinator.StoreUnreachableException e)
        {
            await Console.Error.WriteLineAsync($"cluster: {e.Message}");
            return 1;
        }
    }
}
