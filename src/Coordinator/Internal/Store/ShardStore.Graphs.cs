using Cluster.Protocol.V1;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

internal sealed partial class ShardStore
{
    /// <summary>
    /// Stores tasks that take other tasks' results as arguments (<see cref="GraphScripts"/>): each waits
    /// for its unfinished inputs, or is due at once; one whose finished input failed ends at once.
    /// Inputs stored in the same batch come before the tasks that take them.
    /// </summary>
    public async Task<GraphOutcome> SubmitGraphAsync(string session, IReadOnlyList<TaskSpec> tasks)
    {
        var args = new RedisValue[2 + tasks.Count * 7];
        var k = 0;
        args[k++] = session;
        args[k++] = _retentionSeconds;
        foreach (var task in tasks)
        {
            args[k++] = task.Id;
            args[k++] = task.Name;
            // A chunked task's arguments are kept behind a '*', which no JSON text starts with.
            args[k++] = task.Chunked ? Chunked(task.Args.Span) : task.Args.Memory;
            args[k++] = Policies.Encode(task.Policy);
            args[k++] = Telemetry.StoredTrace.Encode(task);
            args[k++] = string.Join(' ', task.Inputs);
            args[k++] = Routes.Order(task);
        }
        var redisKeys = keys.TaskKeys(5);
        redisKeys[7] = keys.Names;
        redisKeys[8] = keys.Results;
        redisKeys[9] = keys.ResultIndex;
        redisKeys[10] = keys.Outbox(session);
        redisKeys[11] = keys.OutboxSequence(session);
        var away = await StageAsync([session]).ConfigureAwait(false);
        var result = (RedisResult[])(await GraphScripts.Submit.RunAsync(_db, redisKeys, args).ConfigureAwait(false))!;
        var refusals = (RedisResult[])result[0]!;
        var refused = new List<(int, string, string)>(refusals.Length / 3);
        for (var i = 0; i + 2 < refusals.Length; i += 3)
        {
            refused.Add(((int)refusals[i], (string)refusals[i + 1]!, (string)refusals[i + 2]!));
        }
        if ((long)result[1] > 0)
        {
            // Due at once: the reapers' promote moves them to their queues.
            await PublishDelayedAsync(0).ConfigureAwait(false);
        }
        if (away is not null)
        {
            await ForwardAsync(away).ConfigureAwait(false);
        }
        else if ((long)result[2] > 0)
        {
            // Ended at once (a finished input had failed): their completions wait in the outbox.
            await PublishDoneAsync([session]).ConfigureAwait(false);
        }
        return new GraphOutcome(refused);
    }
}
