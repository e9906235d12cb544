using System.Text.Json;
using Cluster.Contracts;
using Cluster.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Cluster.Client.Internal;

/// <summary>
/// <see cref="IClusterSchedules"/> over the <c>Schedules</c> service of the executor's coordinators:
/// each call goes to the coordinator in use and, when it is unavailable, to the others in turn.
/// </summary>
internal sealed class ClusterSchedules(IReadOnlyList<GrpcChannel> channels, Func<int> current) : IClusterSchedules
{
    public async Task<RecurringSchedule> AddOrUpdateAsync(string id, string cron, string task, object?[] args, TimeZoneInfo? timeZone = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(cron);
        TaskNames.Require(task);
        var request = new ScheduleAddOrUpdateRequest
        {
            Id = id,
            Cron = cron,
            Task = task,
            Args = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(args ?? [null], ClusterJson.Options)),
            TimeZone = timeZone is null || timeZone == TimeZoneInfo.Utc ? string.Empty : timeZone.Id,
        };
        var reply = await CallAsync(c => c.AddOrUpdateAsync(request, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return From(reply.Schedule);
    }

    public async Task<bool> RemoveAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var reply = await CallAsync(c => c.RemoveAsync(new ScheduleRemoveRequest { Id = id }, cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return reply.Removed;
    }

    public async Task<IReadOnlyList<RecurringSchedule>> ListAsync(CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync(c => c.ListAsync(new ScheduleListRequest(), cancellationToken: cancellationToken).ResponseAsync).ConfigureAwait(false);
        return [.. reply.Schedules.Select(From)];
    }

    /// <summary>Makes the call on the coordinator in use, then on each other one while they answer UNAVAILABLE.</summary>
    private async Task<T> CallAsync<T>(Func<Protocol.V1.Schedules.SchedulesClient, Task<T>> call)
    {
        var start = current();
        for (var i = 0; ; i++)
        {
            try
            {
                return await call(new Protocol.V1.Schedules.SchedulesClient(channels[(start + i) % channels.Count])).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && i + 1 < channels.Count)
            {
            }
        }
    }

    private static RecurringSchedule From(ScheduleInfo s) => new(
        s.Id,
        s.Cron,
        s.Task,
        JsonDocument.Parse(s.Args.Memory).RootElement.Clone(),
        s.TimeZone,
        s.NextRunUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(s.NextRunUnixMs) : null,
        s.LastRunUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(s.LastRunUnixMs) : null,
        s.LastTaskId.Length > 0 ? s.LastTaskId : null,
        s.LastOutcome.Length > 0 ? s.LastOutcome : null);
}
