using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.Worker.Tests;

/// <summary>One worker stream as the test drives it: every message the worker sent is kept.</summary>
internal sealed class ScriptedConnection(IAsyncStreamReader<WorkerMessage> requests, IServerStreamWriter<CoordinatorMessage> responses)
{
    public List<WorkerMessage> Received { get; } = [];

    /// <summary>Set to end the stream with that status.</summary>
    public TaskCompletionSource<Status> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task SendAsync(CoordinatorMessage message) => responses.WriteAsync(message);

    /// <summary>Reads until a message matches; fails when the stream ends or the time is up first.</summary>
    public async Task<WorkerMessage> ReadUntilAsync(Func<WorkerMessage, bool> match, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await requests.MoveNext(deadline.Token))
            {
                Received.Add(requests.Current);
                if (match(requests.Current))
                {
                    return requests.Current;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        throw new TimeoutException($"The worker sent no message where {what}.");
    }
}
