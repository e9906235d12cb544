using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Grpc.Core;

namespace Cluster.IntegrationTests.Security;

/// <summary>The raw client calls the ownership tests make.</summary>
internal static class OwnershipCalls
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);

    public static string NewSession() => "own-" + Guid.NewGuid().ToString("N")[..12];

    public static Task<SubmitReply> SubmitAsync(Protocol.V1.Tasks.TasksClient client, string session, params TaskSpec[] tasks)
    {
        var request = new SubmitRequest { Session = session };
        request.Tasks.AddRange(tasks);
        return client.SubmitAsync(request).ResponseAsync.WithTimeout();
    }

    /// <summary>Reads the stream until a message matches <paramref name="until"/>; returns every message read.</summary>
    public static async Task<List<CompletionBatch>> ReadUntilAsync(AsyncServerStreamingCall<CompletionBatch> stream, Func<CompletionBatch, bool> until)
    {
        var read = new List<CompletionBatch>();
        while (read.Count == 0 || !until(read[^1]))
        {
            Assert.True(await stream.ResponseStream.MoveNext(CancellationToken.None).WithTimeout(ReadTimeout), "the completion stream ended");
            read.Add(stream.ResponseStream.Current);
        }
        return read;
    }
}
