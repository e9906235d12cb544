using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Google.Protobuf;

namespace Cluster.Micro;

/// <summary>
/// The protobuf side of a submit: one SubmitRequest of 1,000 TaskSpecs built as the SDK builds it
/// (id "session.sequence", name "add", the JSON arguments wrapped without a copy), encoded by the
/// client and decoded by the coordinator.
/// </summary>
[MemoryDiagnoser]
public class SubmitRequestBenchmarks
{
    private SubmitRequest _request = null!;
    private byte[] _encoded = null!;
    private byte[] _buffer = null!;
    private byte[][] _args = null!;

    [Params(1000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _args = Enumerable.Range(0, Tasks)
            .Select(i => JsonSerializer.SerializeToUtf8Bytes(new object?[] { i, 1 }, ClusterJson.Options))
            .ToArray();
        _request = Build();
        _encoded = _request.ToByteArray();
        _buffer = new byte[_encoded.Length];
    }

    /// <summary>What the SDK's submit loop does per batch: a request of TaskSpecs over the queued arguments.</summary>
    [Benchmark]
    public SubmitRequest Build()
    {
        var request = new SubmitRequest { Session = "0123456789abcdef" };
        for (var i = 0; i < _args.Length; i++)
        {
            request.Tasks.Add(new TaskSpec
            {
                Id = "0123456789abcdef." + (i + 1).ToString(CultureInfo.InvariantCulture),
                Name = "add",
                Args = UnsafeByteOperations.UnsafeWrap(_args[i]),
            });
        }
        return request;
    }

    /// <summary>Encoding to a new array (what a gRPC marshaller does with ToByteArray).</summary>
    [Benchmark(Baseline = true)]
    public byte[] Serialize() => _request.ToByteArray();

    /// <summary>Encoding into a buffer that exists already (no array per call).</summary>
    [Benchmark]
    public int SerializeIntoBuffer()
    {
        var size = _request.CalculateSize();
        _request.WriteTo(_buffer.AsSpan(0, size));
        return size;
    }

    /// <summary>The coordinator's side: decoding the batch.</summary>
    [Benchmark]
    public SubmitRequest Parse() => SubmitRequest.Parser.ParseFrom(_encoded);
}
