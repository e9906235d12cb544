using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Telemetry;

/// <summary>
/// A local OTLP/HTTP receiver (POST /v1/traces, protobuf) for the cluster processes of a test to
/// export their spans to (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): it keeps each span's service, trace
/// id, span id, parent and name, read from the wire format of opentelemetry-proto.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly Task _loop;

    public OtlpReceiver()
    {
        Port = RedisServer.FreeLoopbackPort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>The environment that makes a cluster process export its spans here, at once.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "3600000",
    };

    public IReadOnlyList<ReceivedSpan> Spans => [.. _spans];

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using (var body = new MemoryStream())
            {
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.Url?.AbsolutePath == "/v1/traces")
                {
                    foreach (var span in Parse(body.ToArray()))
                    {
                        _spans.Enqueue(span);
                    }
                }
            }
            // An empty ExportTraceServiceResponse (or metrics response): everything accepted.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    /// <summary>ExportTraceServiceRequest: resource_spans (1) → resource (1) and scope_spans (2) → spans (2).</summary>
    private static List<ReceivedSpan> Parse(byte[] request)
    {
        var spans = new List<ReceivedSpan>();
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = Fields(resourceSpans, 1).SelectMany(ServiceName).FirstOrDefault() ?? string.Empty;
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    spans.Add(new ReceivedSpan(service,
                        Hex(Fields(span, 1).FirstOrDefault()), Hex(Fields(span, 2).FirstOrDefault()), Hex(Fields(span, 4).FirstOrDefault()),
                        System.Text.Encoding.UTF8.GetString(Fields(span, 5).FirstOrDefault() ?? [])));
                }
            }
        }
        return spans;
    }

    /// <summary>Resource: attributes (1) of KeyValue { key (1), value (2): AnyValue { string_value (1) } }.</summary>
    private static IEnumerable<string> ServiceName(byte[] resource)
    {
        foreach (var attribute in Fields(resource, 1))
        {
            if (System.Text.Encoding.UTF8.GetString(Fields(attribute, 1).FirstOrDefault() ?? []) == "service.name")
            {
                foreach (var value in Fields(attribute, 2))
                {
                    yield return System.Text.Encoding.UTF8.GetString(Fields(value, 1).FirstOrDefault() ?? []);
                }
            }
        }
    }

    /// <summary>The length-delimited fields numbered <paramref name="number"/> of a message; other fields are skipped.</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }
        return found;
    }

    private static string Hex(byte[]? bytes) => bytes is null || bytes.Length == 0 ? string.Empty : Convert.ToHexStringLower(bytes);

    public void Dispose()
    {
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}

/// <summary>A span as a cluster process exported it.</summary>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name);
