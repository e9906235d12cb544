using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.Protocol.V1;
using Google.Protobuf;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Cluster.IntegrationTests.Telemetry;

/// <summary>
/// Traces and metrics of a real cluster: the client in this process, the coordinator and the worker
/// as processes exporting over OTLP; /metrics scraped over HTTP. Runs once on each store (the trace
/// context is kept beside the task in the store).
/// </summary>
public abstract partial class TelemetryTests<TFixture>(TFixture cluster) where TFixture : TelemetryCluster
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    protected TFixture Cluster { get; } = cluster;

    [SkippableFact]
    public async Task OneTask_IsOneTrace_FromTheClientsSubmitThroughTheCoordinatorToTheWorkersRun()
    {
        Cluster.Require();
        var spans = new SpanCollector();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddClusterInstrumentation().AddProcessor(spans).Build();
        await using var executor = Cluster.NewExecutor();

        var future = executor.Submit<long>("add", 2, 3);

        Assert.Equal(5, await future.AsTask().WithTimeout());
        Activity? submit = null, complete = null;
        await TaskTimeouts.Eventually(() =>
        {
            var mine = spans.Ended.Where(a => (string?)a.GetTagItem("cluster.task.id") == future.Id).ToList();
            submit = mine.SingleOrDefault(a => a.OperationName == "cluster.submit");
            complete = mine.SingleOrDefault(a => a.OperationName == "cluster.complete");
            return Task.FromResult(submit is not null && complete is not null);
        }, "the client ended its submit and completion spans");
        var traceId = submit!.TraceId.ToHexString();
        var submitId = submit.SpanId.ToHexString();
        Assert.Equal(traceId, complete!.TraceId.ToHexString());
        Assert.Equal(submitId, complete.ParentSpanId.ToHexString());

        // The coordinator (in `up`) and the worker process exported theirs: children of the client's submit span.
        ReceivedSpan? queue = null, run = null;
        await TaskTimeouts.Eventually(() =>
        {
            var received = Cluster.Receiver.Spans.Where(s => s.TraceId == traceId).ToList();
            queue = received.FirstOrDefault(s => s.Name == "cluster.queue");
            run = received.FirstOrDefault(s => s.Name == "cluster.run");
            return Task.FromResult(queue is not null && run is not null);
        }, "the coordinator's queue span and the worker's run span of the task's trace arrived over OTLP");
        Assert.Equal(submitId, run!.ParentSpanId);
        Assert.Equal("cluster-worker", run.Service);
        Assert.Equal(submitId, queue!.ParentSpanId);
        Assert.Equal("cluster-up", queue.Service);
    }

    [SkippableFact]
    public async Task MalformedTraceparent_IsRefusedWithInvalidArgument_NamingIt()
    {
        Cluster.Require();
        var request = new SubmitRequest { Session = "telemetry-" + Guid.NewGuid().ToString("N")[..8] };
        request.Tasks.Add(new TaskSpec { Id = "t-" + Guid.NewGuid().ToString("N"), Name = "add", Args = ByteString.CopyFromUtf8("[1,2]"), Traceparent = "not-a-traceparent" });

        var reply = await Cluster.Tasks.SubmitAsync(request).ResponseAsync.WithTimeout();

        var rejection = Assert.Single(reply.Rejected);
        Assert.Equal("InvalidArgument", rejection.Code);
        Assert.Contains("traceparent", rejection.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Metrics_ShowTheCountersMoving_AfterTasksRun()
    {
        Cluster.Require();
        var before = await ScrapeAsync();
        await using var executor = Cluster.NewExecutor();

        var sums = Enumerable.Range(0, 10).Select(i => executor.Submit<long>("add", i, 1)).ToList();
        var failures = Enumerable.Range(0, 2).Select(i => executor.Submit("fail", $"on purpose {i}")).ToList();
        foreach (var sum in sums)
        {
            await sum.AsTask().WithTimeout();
        }
        foreach (var failure in failures)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => failure.AsTask().WithTimeout());
        }

        string after = string.Empty;
        await TaskTimeouts.Eventually(async () =>
        {
            after = await ScrapeAsync();
            return Value(after, "cluster_tasks_submitted_total", "add") >= Value(before, "cluster_tasks_submitted_total", "add") + 10
                && Value(after, "cluster_tasks_completed_total", "add") >= Value(before, "cluster_tasks_completed_total", "add") + 10
                && Value(after, "cluster_tasks_failed_total", "fail") >= Value(before, "cluster_tasks_failed_total", "fail") + 2
                && Value(after, "cluster_task_duration_seconds_count", "add") >= Value(before, "cluster_task_duration_seconds_count", "add") + 10
                && Value(after, "cluster_queue_depth", "add") >= 0;
        }, "/metrics counts the tasks submitted, completed and failed, their durations and the queue depth");
        Assert.Matches(new Regex(@"^cluster_worker_slots_total\{[^}]*cluster_slot_kind=""thread_pool""[^}]*\} [1-9]", RegexOptions.Multiline), after);
        // Beside the cluster's own, the coordinator process's runtime metrics: its CPU time moved
        // with the tasks, and its collections' pause time is there to watch.
        Assert.True(Series(after, "dotnet_process_cpu_time_seconds_total", RuntimeScope, @"cpu_mode=""user""") > Series(before, "dotnet_process_cpu_time_seconds_total", RuntimeScope, @"cpu_mode=""user"""),
            "/metrics shows the coordinator's CPU time (System.Runtime) growing while tasks ran");
        Assert.True(Series(after, "dotnet_gc_pause_time_seconds_total", RuntimeScope) >= 0, "/metrics shows the coordinator's GC pause time (System.Runtime)");
        Assert.True(Series(after, "dotnet_gc_collections_total", RuntimeScope, @"gc_heap_generation=""gen2""") >= 0, "/metrics shows the coordinator's collections by generation (System.Runtime)");
    }

    private async Task<string> ScrapeAsync() => await Http.GetStringAsync(new Uri(Cluster.HttpAddress!, "metrics")).WithTimeout();

    /// <summary>The label of the runtime's own series (System.Runtime).</summary>
    private const string RuntimeScope = @"otel_scope_name=""System.Runtime""";

    /// <summary>The value of a Prometheus series for one task name; -1 when absent.</summary>
    private static double Value(string scrape, string metric, string taskName) => Series(scrape, metric, $@"cluster_task_name=""{taskName}""");

    /// <summary>The value of the first series of <paramref name="metric"/> whose labels include each of <paramref name="labels"/>, in that order; -1 when absent.</summary>
    private static double Series(string scrape, string metric, params string[] labels)
    {
        var wanted = string.Join("[^}]*", labels);
        var match = Regex.Match(scrape, $@"^{metric}\{{[^}}]*{wanted}[^}}]*\}} (\S+)", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }
}

public sealed class EmbeddedTelemetryTests(EmbeddedTelemetryCluster cluster) : TelemetryTests<EmbeddedTelemetryCluster>(cluster), IClassFixture<EmbeddedTelemetryCluster>;

public sealed class RedisTelemetryTests(RedisTelemetryCluster cluster) : TelemetryTests<RedisTelemetryCluster>(cluster), IClassFixture<RedisTelemetryCluster>;
