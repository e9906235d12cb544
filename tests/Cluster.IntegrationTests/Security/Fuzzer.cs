using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Sends fuzzed gRPC requests over real HTTP/2 (cleartext, prior knowledge) to a coordinator,
/// round-robin over every RPC, several at once, and reports how each call ended.
/// </summary>
/// <param name="address">The coordinator, e.g. http://127.0.0.1:5050.</param>
/// <param name="seed">Makes the same frames again: printed with any failure.</param>
internal sealed class Fuzzer(Uri address, int seed)
{
    /// <summary>A bearer token per role (client, worker, admin) for a coordinator with tokens. Default: none, no authorization header.</summary>
    public IReadOnlyDictionary<string, string> Tokens { get; init; } = new Dictionary<string, string>();

    /// <summary>Calls in flight at once. Default: 64.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>The deadline each call carries (grpc-timeout), so streams that stay open end. Default: 1 second.</summary>
    public TimeSpan CallDeadline { get; init; } = TimeSpan.FromSeconds(1);

    public int Seed => seed;

    /// <summary>Sends <paramref name="frames"/> request bodies; one outcome each, in no particular order.</summary>
    public async Task<IReadOnlyList<FuzzOutcome>> RunAsync(int frames, CancellationToken cancellationToken = default)
    {
        using var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        using var http = new HttpClient(handler) { Timeout = CallDeadline * 5 };
        var outcomes = new ConcurrentBag<FuzzOutcome>();
        var next = -1;
        var senders = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            for (var index = Interlocked.Increment(ref next); index < frames; index = Interlocked.Increment(ref next))
            {
                var rpc = FuzzMessages.Rpcs[index % FuzzMessages.Rpcs.Count];
                var body = FuzzFrames.Body(rpc, seed, index);
                outcomes.Add(await SendAsync(http, rpc, index, body, cancellationToken));
            }
        }, cancellationToken));
        await Task.WhenAll(senders);
        return [.. outcomes];
    }

    private async Task<FuzzOutcome> SendAsync(HttpClient http, FuzzRpc rpc, int index, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, rpc.Path))
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("grpc-timeout", $"{(long)CallDeadline.TotalMilliseconds}m");
        if (Tokens.TryGetValue(rpc.Role, out var token))
        {
            request.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            // Read to the end: a stream's status comes in its trailers.
            await response.Content.CopyToAsync(Stream.Null, cancellationToken);
            var status = Header(response, "grpc-status");
            var message = Uri.UnescapeDataString(Header(response, "grpc-message") ?? string.Empty);
            return int.TryParse(status, out var code)
                ? new FuzzOutcome(index, rpc.Path, code, message, body, System.Diagnostics.Stopwatch.GetElapsedTime(started))
                : new FuzzOutcome(index, rpc.Path, null, $"HTTP {(int)response.StatusCode} without grpc-status", body, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new FuzzOutcome(index, rpc.Path, null, $"{e.GetType().Name}: {e.Message} {e.InnerException?.Message}", body, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.First()
        : response.Headers.TryGetValues(name, out var header) ? header.First()
        : null;
}
