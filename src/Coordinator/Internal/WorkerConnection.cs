using System.Threading.Channels;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal;

/// <summary>One worker process's stream as this coordinator sees it: its names, its free slots.</summary>
internal sealed class WorkerConnection(Hello hello)
{
    private int _threadCredits;
    private int _coroutineCredits;

    public Hello Hello { get; } = hello;

    public string Id => Hello.WorkerId;

    public string[] ThreadNames { get; } = Names(hello, ExecutionKind.ThreadPool);

    public string[] CoroutineNames { get; } = Names(hello, ExecutionKind.Coroutine);

    public Signal Wake { get; } = new();

    /// <summary>Messages to the worker; one loop writes them to the stream.</summary>
    public Channel<CoordinatorMessage> Outgoing { get; } = Channel.CreateUnbounded<CoordinatorMessage>(new UnboundedChannelOptions { SingleReader = true });

    private volatile bool _draining;

    /// <summary>The worker takes no new tasks: it is finishing what it has.</summary>
    public bool Draining => _draining;

    public void Drain() => _draining = true;

    public int ThreadCredits => Volatile.Read(ref _threadCredits);

    public int CoroutineCredits => Volatile.Read(ref _coroutineCredits);

    public void AddCredits(int threads, int coroutines)
    {
        if (threads != 0)
        {
            Interlocked.Add(ref _threadCredits, threads);
        }
        if (coroutines != 0)
        {
            Interlocked.Add(ref _coroutineCredits, coroutines);
        }
        if (threads > 0 || coroutines > 0)
        {
            Wake.Set();
        }
    }

    public bool HandlesAny(string[] names)
    {
        foreach (var name in names)
        {
            if (Array.IndexOf(ThreadNames, name) >= 0 || Array.IndexOf(CoroutineNames, name) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    private static string[] Names(Hello hello, ExecutionKind kind) =>
        hello.Handlers.Where(h => h.Kind == kind).Select(h => h.Name).Distinct(StringComparer.Ordinal).ToArray();
}
