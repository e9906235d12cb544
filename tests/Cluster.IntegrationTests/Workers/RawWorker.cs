using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Workers;

/// <summary>
/// An outside worker: the raw Workers stream as another language would speak it, on a channel with
/// gRPC's default receive limit (4 MiB). It keeps every message it receives and the status the
/// stream ended with; it heartbeats only when asked to.
/// </summary>
internal sealed class RawWorker : IAsyncDisposable
{
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage> _call;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<CoordinatorMessage> _received = [];
    private readonly TaskCompletionSource<Status> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private Task _heartbeats = Task.CompletedTask;

    private RawWorker(Uri address)
    {
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = WireLimits.MaxMessageBytes });
        _call = new Protocol.V1.Workers.WorkersClient(_channel).Connect(cancellationToken: _stop.Token);
        _reader = ReadAsync();
    }

    /// <summary>Opens a stream and sends <paramref name="first"/>; heartbeats every <paramref name="heartbeat"/> when given.</summary>
    public static async Task<RawWorker> ConnectAsync(ClusterFixture cluster, WorkerMessage first, TimeSpan? heartbeat = null)
    {
        var worker = new RawWorker(cluster.Address);
        await worker.SendAsync(first);
        if (heartbeat is { } interval)
        {
            worker._heartbeats = worker.HeartbeatAsync(interval);
        }
        return worker;
    }

    /// <summary>A hello message for one task name of one kind; credits left unset unless given.</summary>
    public static WorkerMessage Hello(string workerId, string name, int threads = 0, int coroutines = 0, ExecutionKind kind = ExecutionKind.ThreadPool, int? threadCredits = null, int? coroutineCredits = null)
    {
        var message = new WorkerMessage
        {
            Hello = new Hello { WorkerId = workerId, Host = "outside", ProcessId = 1, Threads = threads, Coroutines = coroutines },
        };
        message.Hello.Handlers.Add(new HandlerInfo { Name = name, Kind = kind });
        if (threadCredits is { } credits)
        {
            message.ThreadCredits = credits;
        }
        if (coroutineCredits is { } more)
        {
            message.CoroutineCredits = more;
        }
        return message;
    }

    public static string NewId(string what) => what + "_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The status the coordinator ended the stream with.</summary>
    public Task<Status> Ended => _ended.Task;

    public List<CoordinatorMessage> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public List<Assignment> Assigned => [.. Received.SelectMany(m => m.Assignments)];

    public async Task SendAsync(WorkerMessage message)
    {
        await _writeGate.WaitAsync();
        try
        {
            await _call.RequestStream.WriteAsync(message).WithTimeout();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Answers tasks with a JSON value, giving back one credit each.</summary>
    public Task AnswerAsync(IEnumerable<Assignment> tasks, string json = "0")
    {
        var message = new WorkerMessage();
        foreach (var task in tasks)
        {
            message.Results.Add(new TaskResult { TaskId = task.TaskId, Session = task.Session, Attempt = task.Attempt, Value = Google.Protobuf.ByteString.CopyFromUtf8(json) });
        }
        message.ThreadCredits = message.Results.Count;
        return SendAsync(message);
    }

    private async Task ReadAsync()
    {
        try
        {
            await foreach (var message in _call.ResponseStream.ReadAllAsync(_stop.Token))
            {
                lock (_gate)
                {
                    _received.Add(message);
                }
            }
            _ended.TrySetResult(_call.GetStatus());
        }
        catch (RpcException e)
        {
            _ended.TrySetResult(e.Status);
        }
        catch (OperationCanceledException)
        {
            _ended.TrySetResult(new Status(StatusCode.Cancelled, "the test hung up"));
        }
    }

    private async Task HeartbeatAsync(TimeSpan interval)
    {
        try
        {
            while (!_stop.IsCancellationRequested && !_ended.Task.IsCompleted)
            {
                await SendAsync(new WorkerMessage { Heartbeat = new Heartbeat() });
                await Task.Delay(interval, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException or InvalidOperationException or TimeoutException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_reader, _heartbeats).WithTimeout();
        _call.Dispose();
        _channel.Dispose();
        _stop.Dispose();
        _writeGate.Dispose();
    }
}
