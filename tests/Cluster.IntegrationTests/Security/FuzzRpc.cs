using Google.Protobuf;

namespace Cluster.IntegrationTests.Security;

/// <summary>One RPC the fuzzer aims at: its path, the role whose token it needs, and how to make its request messages.</summary>
/// <param name="Path">e.g. "/cluster.v1.Tasks/Submit".</param>
/// <param name="Role">client, worker or admin.</param>
/// <param name="Streamed">A client stream (Workers.Connect, Tasks.SubmitStream): a body of several frames, for Connect the first usually a hello.</param>
/// <param name="Valid">A well-formed request with ordinary values.</param>
/// <param name="Extreme">A well-formed request with extreme values (encoded: it may hold invalid UTF-8).</param>
internal sealed record FuzzRpc(string Path, string Role, bool Streamed, Func<Random, IMessage> Valid, Func<Random, byte[]> Extreme);
