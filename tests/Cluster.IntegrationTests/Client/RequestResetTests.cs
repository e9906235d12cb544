using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.IntegrationTests.Security;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Client;

/// <summary>
/// A client that resets its call while the coordinator reads the request (a cancelled call, a
/// process that dies mid-frame) is a client gone away: the coordinator ends the call without an
/// error in its log, and goes on serving. Client streams are read by their handlers; a unary or
/// server-streaming call's one request is read by Grpc.AspNetCore before any handler runs.
/// </summary>
public sealed partial class RequestResetTests(SingleWorkerCluster cluster) : IClassFixture<SingleWorkerCluster>
{
    private const int ResetsPerRpc = 20;

    [Theory]
    [InlineData("/cluster.v1.Tasks/SubmitStream")]
    [InlineData("/cluster.v1.Workers/Connect")]
    [InlineData("/cluster.v1.Tasks/Submit")]
    [InlineData("/cluster.v1.Tasks/Completions")]
    [InlineData("/cluster.v1.Admin/Status")]
    public async Task CallsTheClientResetsMidFrame_EndWithoutAnErrorInTheCoordinatorsLog(string path)
    {
        var logBefore = cluster.Output.Length;
        using var handler = new SocketsHttpHandler();
        using var http = new HttpClient(handler);
        for (var i = 0; i < ResetsPerRpc; i++)
        {
            var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var reset = new CancellationTokenSource();
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Address, path))
            {
                Content = new HalfAFrame(sent) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } },
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            request.Headers.TryAddWithoutValidation("te", "trailers");
            request.Headers.TryAddWithoutValidation("grpc-timeout", "200m");
            var call = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, reset.Token);
            await sent.Task.WithTimeout();
            if (i % 2 == 0)
            {
                await reset.CancelAsync(); // the client resets the call mid-frame; else its deadline ends it
            }
            try
            {
                using var response = await call.WithTimeout();
                await response.Content.CopyToAsync(Stream.Null);
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException)
            {
                // The client reset the call, or the coordinator reset it at its deadline: either way
                // the call is over, and what this test looks at is the coordinator's log.
            }
        }

        // A whole call on the same connection: the coordinator has read every reset before it answers
        // it, and still serves.
        using var submit = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Address, "/cluster.v1.Tasks/Submit"))
        {
            Content = new ByteArrayContent(FuzzFrames.Frame(AuthCalls.OneTask("after-resets").ToByteArray())) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } },
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        submit.Headers.TryAddWithoutValidation("te", "trailers");
        using (var answer = await http.SendAsync(submit).WithTimeout())
        {
            await answer.Content.CopyToAsync(Stream.Null);
            Assert.Equal("0", answer.TrailingHeaders.GetValues("grpc-status").Single());
        }

        var log = cluster.Output;
        var newLog = log.Length >= logBefore ? log[logBefore..] : log;
        var stackLine = StackTraceLine().Match(newLog);
        Assert.False(stackLine.Success, $"The coordinator logged a stack trace after {ResetsPerRpc} reset calls of {path}:{Environment.NewLine}{newLog[Math.Max(0, stackLine.Index - 2_000)..Math.Min(newLog.Length, stackLine.Index + 1_000)]}");
    }

    [GeneratedRegex(@"^\s+at \S+\(", RegexOptions.Multiline)]
    private static partial Regex StackTraceLine();

    /// <summary>A request body that sends the first bytes of a frame, then waits until the call is reset.</summary>
    private sealed class HalfAFrame(TaskCompletionSource sent) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            // A frame header announcing 100 bytes, then 10 of them.
            await stream.WriteAsync(new byte[] { 0, 0, 0, 0, 100, 10, 8, 0, 0, 0, 0, 0, 0, 0, 0 }, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            sent.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
