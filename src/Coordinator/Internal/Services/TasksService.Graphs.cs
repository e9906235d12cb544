using Cluster.Coordinator.Internal.Security;
using Cluster.Coordinator.Internal.Store;
using Cluster.Protocol.V1;

namespace Cluster.Coordinator.Internal.Services;

internal sealed partial class TasksService
{
    /// <summary>
    /// Takes the tasks with inputs (futures among their arguments) out of <paramref name="valid"/>
    /// and its <paramref name="positions"/>, in order; null when there are none.
    /// </summary>
    private static List<(TaskSpec Task, int Position)>? TakeGraphTasks(List<TaskSpec> valid, List<int> positions)
    {
        if (!valid.Exists(t => t.Inputs.Count > 0))
        {
            return null;
        }
        var graph = new List<(TaskSpec, int)>();
        for (var i = 0; i < valid.Count; i++)
        {
            if (valid[i].Inputs.Count > 0)
            {
                graph.Add((valid[i], positions[i]));
                valid.RemoveAt(i);
                positions.RemoveAt(i);
                i--;
            }
        }
        return graph;
    }

    /// <summary>Stores the tasks with inputs (after the batch's others) and adds their refusals to the reply.</summary>
    private async Task SubmitGraphAsync(Scope scope, string session, List<(TaskSpec Task, int Position)> graph, SubmitReply reply)
    {
        var outcome = await store.SubmitGraphAsync(session, [.. graph.Select(g => g.Task)]).ConfigureAwait(false);
        foreach (var (index, code, message) in outcome.Refused)
        {
            reply.Rejected.Add(new Rejection
            {
                Index = graph[index].Position,
                TaskId = scope.Out(graph[index].Task.Id),
                Code = code,
                // The store names ids as kept (scoped by identity): the caller knows them unscoped.
                Message = scope.IsScoped ? message.Replace(scope.In(string.Empty), string.Empty, StringComparison.Ordinal) : message,
            });
        }
    }
}
