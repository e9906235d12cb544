using System.Text;
using Cluster.Contracts;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.IntegrationTests.Sessions;

/// <summary>
/// A session's completion stream as an outside client sees it over the raw contract: no message
/// larger than gRPC's default receive limit, and a finished task id never run twice. Runs on the
/// embedded store and on a real redis-server.
/// </summary>
public abstract class CompletionStreamTests<TFixture>(TFixture cluster) where TFixture : ClusterFixture
{
    [SkippableFact]
    public async Task ASubmitAgainOfAFinishedTaskId_IsRefusedWithAlreadyExists_AndDoesNotRunIt()
    {
        cluster.Require();
        var session = NewSession();
        var id = session + ".once";
        await SubmitAsync(session, Echo(id, "\"once\""));
        using var stream = cluster.Tasks.Completions(new CompletionsRequest { Session = session });
        var first = await ReadUntilAsync(stream, id);
        Assert.Equal("\"once\"", Assert.Single(first).Result.ToStringUtf8());

        var again = await SubmitAsync(session, Echo(id, "\"twice\""));

        var refused = Assert.Single(again.Rejected);
        Assert.Equal(nameof(StatusCode.AlreadyExists), refused.Code);
        Assert.Equal(id, refused.TaskId);
        // A later task's completion comes after any second one of the refused id would have.
        var marker = session + ".marker";
        Assert.Empty((await SubmitAsync(session, Echo(marker, "1"))).Rejected);
        var after = await ReadUntilAsync(stream, marker);
        Assert.Equal([marker], after.Select(c => c.TaskId));
    }

    [SkippableFact]
    public async Task ASubmitAgainOfACancelledTaskId_IsRefusedWithAlreadyExists()
    {
        cluster.Require();
        var session = NewSession();
        var id = session + ".cancelled";
        var waiting = new TaskSpec { Id = id, Name = "nobody_" + Guid.NewGuid().ToString("N")[..12], Args = ByteString.CopyFromUtf8("[]") };
        await SubmitAsync(session, waiting);
        var cancel = new CancelRequest { Session = session, TaskIds = { id } };
        Assert.True(Assert.Single((await cluster.Tasks.CancelAsync(cancel).ResponseAsync.WithTimeout()).Cancelled));

        var again = await SubmitAsync(session, waiting);

        Assert.Equal(nameof(StatusCode.AlreadyExists), Assert.Single(again.Rejected).Code);
    }

    [SkippableFact]
    public async Task EveryCompletionBatch_FitsGrpcsDefaultReceiveLimit_WhateverTheResultsSizes()
    {
        cluster.Require();
        var session = NewSession();
        const int Small = 40;
        var smallText = new string('s', 200 * 1024);
        // Just under the default --max-result (4 MiB less 64 KiB) as JSON: the text and its quotes.
        var bigText = new string('b', WireLimits.MaxPayloadBytes - 1000);
        for (var part = 0; part < 4; part++)
        {
            await SubmitAsync(session, [.. Enumerable.Range(part * Small / 4, Small / 4).Select(i => Echo($"{session}.{i}", Quoted(smallText)))]);
        }
        await SubmitAsync(session, Echo(session + ".big", Quoted(bigText)));
        // An outside client keeps gRPC's default receive limit.
        using var channel = GrpcChannel.ForAddress(cluster.Address, new GrpcChannelOptions { MaxReceiveMessageSize = WireLimits.MaxMessageBytes });
        var tasks = new Protocol.V1.Tasks.TasksClient(channel);

        // As they finish (handed over), then again from the start (one read of the store).
        foreach (var pass in new[] { "as they finish", "again from the store" })
        {
            using var stream = tasks.Completions(new CompletionsRequest { Session = session });
            var results = new Dictionary<string, int>();
            while (results.Count < Small + 1)
            {
                Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout(), $"the stream ended ({pass})");
                foreach (var c in stream.ResponseStream.Current.Completions)
                {
                    Assert.Equal(Completion.OutcomeOneofCase.Result, c.OutcomeCase);
                    results[c.TaskId] = c.Result.Length;
                }
            }
            Assert.Equal(bigText.Length + 2, results[session + ".big"]);
            Assert.All(Enumerable.Range(0, Small), i => Assert.Equal(smallText.Length + 2, results[$"{session}.{i}"]));
        }
    }

    private static string NewSession() => "raw-" + Guid.NewGuid().ToString("N")[..12];

    private static string Quoted(string text) => "\"" + text + "\"";

    private static TaskSpec Echo(string id, string json) =>
        new() { Id = id, Name = "echo", Args = ByteString.CopyFrom(Encoding.UTF8.GetBytes("[" + json + "]")) };

    private Task<SubmitReply> SubmitAsync(string session, params TaskSpec[] tasks)
    {
        var request = new SubmitRequest { Session = session };
        request.Tasks.AddRange(tasks);
        return cluster.Tasks.SubmitAsync(request).ResponseAsync.WithTimeout();
    }

    /// <summary>Reads the stream until <paramref name="taskId"/>'s completion; returns every completion read.</summary>
    private static async Task<List<Completion>> ReadUntilAsync(AsyncServerStreamingCall<CompletionBatch> stream, string taskId)
    {
        var read = new List<Completion>();
        while (!read.Exists(c => c.TaskId == taskId))
        {
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout(), "the completion stream ended");
            read.AddRange(stream.ResponseStream.Current.Completions);
        }
        return read;
    }
}

public sealed class EmbeddedStoreCompletionStreamTests(EmbeddedCluster cluster)
    : CompletionStreamTests<EmbeddedCluster>(cluster), IClassFixture<EmbeddedCluster>;

public sealed class RedisServerCompletionStreamTests(RedisCluster cluster)
    : CompletionStreamTests<RedisCluster>(cluster), IClassFixture<RedisCluster>;
