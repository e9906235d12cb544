using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.IntegrationTests.Security;

/// <summary>Every RPC of the wire contract, made with a given token, for the role matrix.</summary>
internal static class AuthCalls
{
    public const string Submit = "/cluster.v1.Tasks/Submit";
    public const string SubmitStream = "/cluster.v1.Tasks/SubmitStream";
    public const string Connect = "/cluster.v1.Workers/Connect";
    public const string Status = "/cluster.v1.Admin/Status";

    /// <summary>Each RPC by its path, as a call with the token that ends when the coordinator answers.</summary>
    public static readonly IReadOnlyDictionary<string, Func<ClusterFixture, string?, Task>> All = new Dictionary<string, Func<ClusterFixture, string?, Task>>
    {
        [Submit] = async (c, t) => await c.TasksFor(t).SubmitAsync(OneTask("auth-s")),
        [SubmitStream] = (c, t) => SubmitOnStreamAsync(c, t, OneTask("auth-s")),
        ["/cluster.v1.Tasks/Cancel"] = async (c, t) => await c.TasksFor(t).CancelAsync(new CancelRequest { Session = "auth-s", TaskIds = { "auth-s.1" } }),
        ["/cluster.v1.Tasks/Completions"] = (c, t) => CompletionsAsync(c, t, "auth-s"),
        ["/cluster.v1.Tasks/Ack"] = async (c, t) => await c.TasksFor(t).AckAsync(new AckRequest { Session = "auth-s", UpToSeq = 1 }),
        [Connect] = (c, t) => ConnectAsync(c, t, Hello("auth-w-" + Guid.NewGuid().ToString("N")[..8], "echo")),
        [Status] = async (c, t) => await c.AdminFor(t).StatusAsync(new StatusRequest()),
        ["/cluster.v1.Admin/DeadLetters"] = async (c, t) => await c.AdminFor(t).DeadLettersAsync(new DeadLettersRequest()),
        ["/cluster.v1.Schedules/AddOrUpdate"] = async (c, t) => await new Schedules.SchedulesClient(c.ChannelFor(t)).AddOrUpdateAsync(new ScheduleAddOrUpdateRequest { Id = "auth-sched", Cron = "0 3 * * *", Task = "add", Args = ByteString.CopyFromUtf8("[1,2]") }),
        ["/cluster.v1.Schedules/Remove"] = async (c, t) => await new Schedules.SchedulesClient(c.ChannelFor(t)).RemoveAsync(new ScheduleRemoveRequest { Id = "auth-sched" }),
        ["/cluster.v1.Schedules/List"] = async (c, t) => await new Schedules.SchedulesClient(c.ChannelFor(t)).ListAsync(new ScheduleListRequest()),
    };

    public static SubmitRequest OneTask(string session) => new()
    {
        Session = session,
        Tasks = { new TaskSpec { Id = session + "." + Guid.NewGuid().ToString("N")[..8], Name = "add", Args = ByteString.CopyFromUtf8("[1,2]") } },
    };

    /// <summary>True when the coordinator takes <paramref name="token"/> (an Ack of the session), false while it answers UNAUTHENTICATED.</summary>
    public static async Task<bool> AcceptedAsync(ClusterFixture cluster, string token, string session)
    {
        try
        {
            await cluster.TasksFor(token).AckAsync(new AckRequest { Session = session }).ResponseAsync.WithTimeout();
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unauthenticated)
        {
            return false;
        }
    }

    /// <summary>Sends one batch on a new submit stream and returns its reply; a refusal of the stream throws.</summary>
    public static async Task<SubmitReply> SubmitOnStreamAsync(ClusterFixture cluster, string? token, SubmitRequest request)
    {
        using var call = cluster.TasksFor(token).SubmitStream();
        return await SubmitOnAsync(call, request);
    }

    /// <summary>Sends one batch on an open submit stream and reads its reply; the stream's end throws its status.</summary>
    public static Task<SubmitReply> SubmitOnAsync(AsyncDuplexStreamingCall<SubmitRequest, SubmitReply> call, SubmitRequest request) => SendThenReadAsync(call, request);

    /// <summary>Opens a completion stream and reads until it ends (a refusal ends it at once).</summary>
    public static async Task CompletionsAsync(ClusterFixture cluster, string? token, string session)
    {
        using var call = cluster.TasksFor(token).Completions(new CompletionsRequest { Session = session });
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
        }
    }

    /// <summary>Says hello on a worker stream and returns its first reply (the welcome); a refusal throws.</summary>
    public static async Task<CoordinatorMessage> ConnectAsync(ClusterFixture cluster, string? token, WorkerMessage hello)
    {
        using var call = cluster.WorkersFor(token).Connect();
        return await SayHelloAsync(call, hello);
    }

    public static Task<CoordinatorMessage> SayHelloAsync(AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage> call, WorkerMessage hello) => SendThenReadAsync(call, hello);

    /// <summary>Writes one message on a stream and reads the first reply; a stream that ends with a status throws it.</summary>
    private static async Task<TResponse> SendThenReadAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, TRequest message)
    {
        try
        {
            await call.RequestStream.WriteAsync(message);
        }
        catch (RpcException)
        {
            // Refused before the message went out: the status is read below.
        }
        if (!await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            throw new InvalidOperationException("the stream ended without a reply");
        }
        return call.ResponseStream.Current;
    }

    public static WorkerMessage Hello(string workerId, params string[] names)
    {
        var message = new WorkerMessage { Hello = new Hello { WorkerId = workerId, Host = "auth-test", ProcessId = 1, Threads = 1 } };
        foreach (var name in names)
        {
            message.Hello.Handlers.Add(new HandlerInfo { Name = name, Kind = ExecutionKind.ThreadPool });
        }
        return message;
    }

    /// <summary>The status the call ends with; it must end with one.</summary>
    public static async Task<RpcException> RefusedAsync(Func<Task> call) =>
        await Assert.ThrowsAsync<RpcException>(() => call().WithTimeout());
}
