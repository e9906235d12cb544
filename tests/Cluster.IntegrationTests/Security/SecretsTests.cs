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
