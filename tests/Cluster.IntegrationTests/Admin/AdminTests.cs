using System.Text;
using System.Text.RegularExpressions;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using StackExchange.Redis;

namespace Cluster.IntegrationTests.Administration;

/// <summary>
/// What the coordinator answers to bad input and to a full queue, and what its status says, on a
/// real cluster started with `--max-queued 3`.
/// </summary>
public abstract class AdminTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);
    private static readonly Method<byte[], byte[]> RawSubmit = new(MethodType.Unary, "cluster.v1.Tasks", "Submit", Raw, Raw);

    protected TFixture Cluster => cluster;

    [SkippableFact]
    public async Task Submit_OfAMalformedMessage_FailsWithInvalidArgument_AndLogsAtMostALineAMinute()
    {
        Cluster.Require();
        var marker = "m" + Guid.NewGuid().ToString("N")[..8];
        var valid = new SubmitRequest
        {
            Session = "SESS" + marker,
            Tasks = { new TaskSpec { Id = "IDID" + marker, Name = "NAME" + marker, Args = ByteString.CopyFromUtf8("[1]") } },
        }.ToByteArray();
        // Invalid UTF-8 in each string field, and the message cut in the middle of a field.
        var bad = new List<byte[]> { Corrupt(valid, "SESS"), Corrupt(valid, "IDID"), Corrupt(valid, "NAME"), valid[..^3] };
        using var channel = GrpcChannel.ForAddress(Cluster.Address);
        var invoker = channel.CreateCallInvoker();
        var linesBefore = Lines(Cluster.Output);

        for (var i = 0; i < 50; i++)
        {
            var call = invoker.AsyncUnaryCall(RawSubmit, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), bad[i % bad.Count]);
            var e = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
            Assert.Contains("SubmitRequest message is malformed", e.Status.Detail, StringComparison.Ordinal);
        }

        // The coordinator goes on: a good call still works.
        var reply = await Cluster.Tasks.SubmitAsync(new SubmitRequest { Session = "s" + marker, Tasks = { new TaskSpec { Id = marker + ".ok", Name = "echo", Args = ByteString.CopyFromUtf8("[1]") } } });
        Assert.Empty(reply.Rejected);
        var output = Lines(Cluster.Output).Skip(linesBefore.Count).ToList();
        // No stack trace from the request path (the fixture's other loops, e.g. a heartbeat that met an
        // earlier test's full Redis, may log their own meanwhile: not this test's concern).
        Assert.DoesNotContain(output, l => l.Contains("Exception was thrown by handler", StringComparison.Ordinal) || Regex.IsMatch(l, @"^\s+at (Google\.Protobuf|Grpc\.|Cluster\.Coordinator\.Internal\.Services\.(TasksService|Malformed|StrictService|ErrorInterceptor))\S*\("));
        Assert.InRange(output.Count(l => l.Contains("malformed", StringComparison.OrdinalIgnoreCase)), 0, 2);
    }

    [SkippableFact]
    public async Task Submit_OfAFrameShorterThanItsHeaderSays_FailsWithInvalidArgument_WithoutAStackTrace()
    {
        Cluster.Require();
        var message = new SubmitRequest { Session = "s", Tasks = { new TaskSpec { Id = "t.1", Name = "echo", Args = ByteString.CopyFromUtf8("[1]") } } }.ToByteArray();
        // The 5-byte gRPC frame header announces 100 bytes more than the body holds.
        var frame = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length + 100);
        message.CopyTo(frame, 5);
        using var http = new HttpClient();
        var linesBefore = Lines(Cluster.Output).Count;

        var statuses = new List<(string? Status, string? Message)>();
        for (var i = 0; i < 20; i++)
        {
            using var content = new ByteArrayContent(frame);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Cluster.Address, "/cluster.v1.Tasks/Submit")) { Content = content, Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            request.Headers.TryAddWithoutValidation("te", "trailers");
            using var response = await http.SendAsync(request).WithTimeout();
            await response.Content.ReadAsByteArrayAsync();
            string? Header(string name) =>
                response.TrailingHeaders.TryGetValues(name, out var t) ? t.First() : response.Headers.TryGetValues(name, out var h) ? h.First() : null;
            statuses.Add((Header("grpc-status"), Uri.UnescapeDataString(Header("grpc-message") ?? string.Empty)));
        }

        Assert.All(statuses, s => Assert.Equal(("3", "The request frame of /cluster.v1.Tasks/Submit is malformed: Incomplete message."), s));
        var output = Lines(Cluster.Output).Skip(linesBefore).ToList();
        Assert.DoesNotContain(output, l => Regex.IsMatch(l, @"^\s+at \S+\("));
        Assert.InRange(output.Count(l => l.Contains("malformed", StringComparison.OrdinalIgnoreCase)), 0, 2);
    }

    [SkippableFact]
    public async Task Submit_OfArgumentsWithInvalidUtf8_OrEmpty_IsRejectedPerTask_WithInvalidArgument()
    {
        Cluster.Require();
        var marker = "u" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest
        {
            Session = "s" + marker,
            Tasks =
            {
                new TaskSpec { Id = marker + ".1", Name = "echo", Args = ByteString.CopyFrom([(byte)'[', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)']']) },
                new TaskSpec { Id = marker + ".2", Name = "echo", Args = ByteString.Empty },
                new TaskSpec { Id = marker + ".3", Name = "echo", Args = ByteString.CopyFromUtf8("[\"ok\"]") },
            },
        };

        var reply = await Cluster.Tasks.SubmitAsync(request);

        Assert.Equal(2, reply.Rejected.Count);
        var utf8 = Assert.Single(reply.Rejected, r => r.Index == 0);
        Assert.Equal((marker + ".1", nameof(StatusCode.InvalidArgument)), (utf8.TaskId, utf8.Code));
        Assert.Contains("not valid UTF-8", utf8.Message, StringComparison.Ordinal);
        var empty = Assert.Single(reply.Rejected, r => r.Index == 1);
        Assert.Equal(nameof(StatusCode.InvalidArgument), empty.Code);
        Assert.Contains("are empty", empty.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Submit_PastMaxQueued_IsRefusedPerTask_WithResourceExhausted_AndCancelledTasksDoNotCount()
    {
        Cluster.Require();
        var marker = "q" + Guid.NewGuid().ToString("N")[..8];
        var name = "nobody-serves-" + marker;
        var session = "s" + marker;

        var first = await Cluster.Tasks.SubmitAsync(Batch(session, name, marker, 0, 5));

        // Three fit; the fourth and fifth are refused, each with the count and the limit.
        Assert.Equal([3, 4], first.Rejected.Select(r => r.Index).Order());
        Assert.All(first.Rejected, r =>
        {
            Assert.Equal("ResourceExhausted", r.Code);
            Assert.Equal($"queue '{name}' holds 3 tasks; the limit is 3", r.Message);
        });
        Assert.Equal(3, await QueuedAsync(name));

        // Two cancelled: they stay in the list as tombstones, but are neither shown nor counted.
        var cancel = await Cluster.Tasks.CancelAsync(new CancelRequest { Session = session, TaskIds = { $"{marker}.0", $"{marker}.1" } });
        Assert.All(cancel.Cancelled, Assert.True);
        Assert.Equal(1, await QueuedAsync(name));
        var second = await Cluster.Tasks.SubmitAsync(Batch(session, name, marker, 10, 3));
        Assert.Equal([2], second.Rejected.Select(r => r.Index));
        Assert.Equal(3, await QueuedAsync(name));
    }

    [SkippableFact]
    public async Task Status_NamesItsStore_AndTheStatusCommandPrintsIt()
    {
        Cluster.Require();
        var status = await Cluster.Admin.StatusAsync(new StatusRequest());

        Assert.StartsWith(Cluster.UsesRedis ? "redis 127.0.0.1:" : "embedded Garnet at 127.0.0.1:", status.Store, StringComparison.Ordinal);
        await using var command = ChildProcess.StartCluster("status", "--coordinator", Cluster.Address.ToString());
        await command.WaitForOutputAsync("^store: " + Regex.Escape(status.Store) + "$", TimeSpan.FromSeconds(60));
    }

    [SkippableFact]
    public async Task Status_ForgetsATaskName_WhoseQueueHoldsOnlyTombstones_AndThatNoWorkerServes()
    {
        Cluster.Require();
        var marker = "f" + Guid.NewGuid().ToString("N")[..8];
        var name = "gone-" + marker;
        await Cluster.Tasks.SubmitAsync(Batch("s" + marker, name, marker, 0, 1));
        Assert.Equal(1, await QueuedAsync(name));

        // Cancelled: its id stays in the list (nobody leases from it), but nothing waits there.
        await Cluster.Tasks.CancelAsync(new CancelRequest { Session = "s" + marker, TaskIds = { marker + ".0" } });

        await TaskTimeouts.Eventually(async () => (await Cluster.Admin.StatusAsync(new StatusRequest())).Queues.All(q => q.Name != name), $"status no longer lists {name}");
    }

    [SkippableFact]
    public async Task DeadLetters_AreListedAPageAtATime_OverTheWire_AndByTheCommand()
    {
        Cluster.Require();
        var marker = "l" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        for (var i = 0; i < 3; i++)
        {
            // Any error is worth a retry, and there is one attempt: the first failure dead-letters it.
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = "fail", Args = ByteString.CopyFromUtf8("[\"boom\"]"), Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "*" } } });
        }
        Assert.Empty((await Cluster.Tasks.SubmitAsync(request)).Rejected);
        await TaskTimeouts.Eventually(async () => (await Cluster.Admin.DeadLettersAsync(new DeadLettersRequest())).Letters.Count(l => l.TaskId.StartsWith(marker, StringComparison.Ordinal)) == 3, "three tasks are dead-lettered");
        var all = (await Cluster.Admin.DeadLettersAsync(new DeadLettersRequest())).Letters.Select(l => l.TaskId).ToList();
        var second = all.IndexOf(marker + ".1");

        var page = await Cluster.Admin.DeadLettersAsync(new DeadLettersRequest { Limit = 1, Page = second });

        Assert.Equal(marker + ".1", Assert.Single(page.Letters).TaskId);
        await using var command = ChildProcess.StartCluster("dead-letters", "--coordinator", Cluster.Address.ToString(), "--limit", "1", "--page", (second + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await command.WaitForOutputAsync($"page {second + 1} of {all.Count}", TimeSpan.FromSeconds(60));
        await command.WaitForOutputAsync("^" + Regex.Escape(marker + ".1") + " ", TimeSpan.FromSeconds(60));
    }

    private async Task<long> QueuedAsync(string name) =>
        (await Cluster.Admin.StatusAsync(new StatusRequest())).Queues.Single(q => q.Name == name).Queued;

    private static SubmitRequest Batch(string session, string name, string marker, int from, int count)
    {
        var request = new SubmitRequest { Session = session };
        for (var i = from; i < from + count; i++)
        {
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = name, Args = ByteString.CopyFromUtf8($"[{i}]") });
        }
        return request;
    }

    /// <summary>The message with the first two bytes of <paramref name="field"/>'s value replaced by 0xFF 0xFE.</summary>
    private static byte[] Corrupt(byte[] message, string field)
    {
        var at = message.AsSpan().IndexOf(Encoding.ASCII.GetBytes(field));
        Assert.True(at >= 0);
        var copy = (byte[])message.Clone();
        copy[at] = 0xFF;
        copy[at + 1] = 0xFE;
        return copy;
    }

    private static List<string> Lines(string output) => [.. output.Split('\n')];
}

public sealed class EmbeddedStoreAdminTests(LimitedEmbeddedCluster cluster) : AdminTests<LimitedEmbeddedCluster>(cluster), IClassFixture<LimitedEmbeddedCluster>;

public sealed class RedisServerAdminTests(LimitedRedisCluster cluster) : AdminTests<LimitedRedisCluster>(cluster), IClassFixture<LimitedRedisCluster>
{
    [SkippableFact]
    public async Task Submit_WhenRedisIsPastItsMaxmemory_FailsWithResourceExhausted_NamingMaxmemory()
    {
        Cluster.Require();
        await using var admin = await ConnectionMultiplexer.ConnectAsync(Cluster.RedisAddress + ",allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        var marker = "o" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            // Any write now refuses: used memory is over one byte, and the policy evicts nothing.
            await server.ConfigSetAsync("maxmemory", "1");
            var e = await Assert.ThrowsAsync<RpcException>(async () => await Cluster.Tasks.SubmitAsync(new SubmitRequest
            {
                Session = "s" + marker,
                Tasks = { new TaskSpec { Id = marker + ".1", Name = "echo", Args = ByteString.CopyFromUtf8("[1]") } },
            }));

            Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
            Assert.Contains("maxmemory", e.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            await server.ConfigSetAsync("maxmemory", "0");
        }
    }
}
