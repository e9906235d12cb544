using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace Cluster.IntegrationTests.Security;

/// <summary>The per-call task limit (`--max-batch`), on both stores; the store-specific secrets are in the subclasses.</summary>
public abstract class SecretsTests<TFixture>(TFixture cluster) where TFixture : SecretsCluster
{
    protected TFixture Cluster => cluster;

    [SkippableFact]
    public async Task Submit_OfMoreTasksThanMaxBatch_IsRefusedWithResourceExhausted_NamingTheLimitAndTheOption()
    {
        Cluster.Require();
        var marker = "b" + Guid.NewGuid().ToString("N")[..8];

        var e = await Assert.ThrowsAsync<RpcException>(async () => await Cluster.Tasks.SubmitAsync(Batch(marker, SecretsCluster.MaxBatch + 1)).ResponseAsync.WithTimeout());
        var atTheLimit = await Cluster.Tasks.SubmitAsync(Batch(marker + "x", SecretsCluster.MaxBatch)).ResponseAsync.WithTimeout();

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal($"a submit holds {SecretsCluster.MaxBatch + 1} tasks; the limit is {SecretsCluster.MaxBatch} per call (--max-batch)", e.Status.Detail);
        Assert.Empty(atTheLimit.Rejected);
    }

    [SkippableFact]
    public async Task SubmitStream_AnswersEachBatchInOrder_ARefusedBatchWithItsStatus_AndGoesOn_StoringWhatItTook()
    {
        Cluster.Require();
        var marker = "m" + Guid.NewGuid().ToString("N")[..8];
        var taken = Batch(marker + "a", 2);
        var tooLarge = Batch(marker + "b", SecretsCluster.MaxBatch + 1);
        var mixed = Batch(marker + "c", 2);
        mixed.Session = taken.Session;
        mixed.Tasks[1].Name = "no such name!";
        tooLarge.Session = taken.Session;
        using var completions = Cluster.Tasks.Completions(new CompletionsRequest { Session = taken.Session });
        using var stream = Cluster.Tasks.SubmitStream();

        foreach (var request in new[] { taken, tooLarge, mixed })
        {
            await stream.RequestStream.WriteAsync(request).WithTimeout();
        }
        var replies = new List<SubmitReply>();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
            replies.Add(stream.ResponseStream.Current);
        }
        await stream.RequestStream.CompleteAsync().WithTimeout();

        Assert.Equal((string.Empty, 0), (replies[0].Status, replies[0].Rejected.Count));
        Assert.Equal(nameof(StatusCode.ResourceExhausted), replies[1].Status);
        Assert.Equal($"a submit holds {SecretsCluster.MaxBatch + 1} tasks; the limit is {SecretsCluster.MaxBatch} per call (--max-batch)", replies[1].StatusMessage);
        Assert.Empty(replies[1].Rejected);
        Assert.Equal(string.Empty, replies[2].Status);
        var rejected = Assert.Single(replies[2].Rejected);
        Assert.Equal((1, mixed.Tasks[1].Id, nameof(StatusCode.InvalidArgument)), (rejected.Index, rejected.TaskId, rejected.Code));
        Assert.False(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout());
        // What was taken runs: echo answers its argument.
        var expected = new[] { taken.Tasks[0], taken.Tasks[1], mixed.Tasks[0] }.ToDictionary(t => t.Id, t => t.Args.ToStringUtf8().Trim('[', ']'));
        var results = new Dictionary<string, string>();
        while (results.Count < expected.Count && await completions.ResponseStream.MoveNext(CancellationToken.None).WithTimeout())
        {
            foreach (var completion in completions.ResponseStream.Current.Completions)
            {
                results[completion.TaskId] = completion.Result.ToStringUtf8();
            }
        }
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), results.OrderBy(p => p.Key, StringComparer.Ordinal));
        var notTaken = await Assert.ThrowsAsync<RpcException>(async () => await Cluster.Tasks.AttachAsync(new AttachRequest { TaskId = tooLarge.Tasks[0].Id, Peek = true }).ResponseAsync.WithTimeout());
        Assert.Equal(StatusCode.NotFound, notTaken.StatusCode);
    }

    private static SubmitRequest Batch(string marker, int count)
    {
        var request = new SubmitRequest { Session = "s" + marker };
        for (var i = 0; i < count; i++)
        {
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = "echo", Args = ByteString.CopyFromUtf8($"[{i}]") });
        }
        return request;
    }
}
