using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cluster.Contracts;

namespace Cluster.Micro;

/// <summary>
/// The JSON side of one task: its arguments written by the client (as <c>Submit&lt;long&gt;("add", i, 1)</c> does),
/// read by the worker, and its result read back by the client.
/// </summary>
[MemoryDiagnoser]
public class JsonArgsBenchmarks
{
    private static readonly byte[] Args = "[12345,1]"u8.ToArray();
    private static readonly byte[] Result = "12346"u8.ToArray();
    private int _i = 12345;

    /// <summary>The plain form: a new object?[] of two boxed ints, serialized with the wire options.</summary>
    [Benchmark(Baseline = true)]
    public byte[] SerializeArgs() => JsonSerializer.SerializeToUtf8Bytes(new object?[] { _i, 1 }, ClusterJson.Options);

    /// <summary>The SDK's form: the same, with the runtime type passed explicitly.</summary>
    [Benchmark]
    public byte[] SerializeArgsByRuntimeType()
    {
        object args = new object?[] { _i, 1 };
        return JsonSerializer.SerializeToUtf8Bytes(args, args.GetType(), ClusterJson.Options);
    }

    /// <summary>Reading the arguments as a worker's handler binding would start: a JSON document of the array.</summary>
    [Benchmark]
    public long ParseArgs()
    {
        using var document = JsonDocument.Parse(Args);
        var root = document.RootElement;
        return root[0].GetInt64() + root[1].GetInt64();
    }

    /// <summary>The client reading a long result (what ClusterFuture&lt;long&gt; does on completion).</summary>
    [Benchmark]
    public long DeserializeResult() => JsonSerializer.Deserialize<long>(Result, ClusterJson.Options);
}
