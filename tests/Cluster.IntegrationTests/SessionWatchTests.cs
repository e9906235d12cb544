using Cluster.Coordinator.Internal;
using Cluster.Protocol.V1;
using Google.Protobuf;

namespace Cluster.IntegrationTests;

/// <summary>
/// Completions handed to a session's stream are sent only in sequence with no gap; anything else
/// sends the stream to the store, so none is skipped or sent out of order.
/// </summary>
public sealed class SessionWatchTests
{
    [Fact]
    public void ANewStream_ReadsTheStoreFirst_ThenTakesWhatFollowsItsCursor()
    {
        var watch = new SessionWatch();
        Offer(watch, 1, 2);

        Assert.Null(watch.TakeFollowing(cursor: 0, max: 10));
        // The store read returned 1 and 2: they are not sent again.
        Assert.Empty(watch.TakeFollowing(cursor: 2, max: 10)!);
        Offer(watch, 3);
        Assert.Equal([3L], Seqs(watch.TakeFollowing(cursor: 2, max: 10)));
    }

    [Fact]
    public void CompletionsOfferedOutOfOrder_AreTakenInOrder_UpToMax()
    {
        var watch = Started();
        Offer(watch, 3, 1, 2, 5, 4);

        Assert.Equal([1L, 2L], Seqs(watch.TakeFollowing(cursor: 0, max: 2)));
        Assert.Equal([3L, 4L, 5L], Seqs(watch.TakeFollowing(cursor: 2, max: 10)));
        Assert.Empty(watch.TakeFollowing(cursor: 5, max: 10)!);
    }

    [Fact]
    public void AGap_SendsTheStreamToTheStore_AfterWhatFollowsWithoutOne()
    {
        var watch = Started();
        Offer(watch, 1, 2, 4);

        Assert.Equal([1L, 2L], Seqs(watch.TakeFollowing(cursor: 0, max: 10)));
        // 3 was written elsewhere (another coordinator, a cancel, a dead letter): only the store has it.
        Assert.Null(watch.TakeFollowing(cursor: 2, max: 10));
        // After the read (cursor 4), 4 is not sent twice.
        Offer(watch, 5);
        Assert.Equal([5L], Seqs(watch.TakeFollowing(cursor: 4, max: 10)));
    }

    [Fact]
    public void ANoticeFromElsewhere_SendsTheStreamToTheStore()
    {
        var watch = Started();
        Offer(watch, 1);
        watch.MarkStale();

        Assert.Null(watch.TakeFollowing(cursor: 0, max: 10));
        Assert.Empty(watch.TakeFollowing(cursor: 1, max: 10)!);
    }

    [Fact]
    public void HandedOverCompletionsPastTheByteBound_AreDropped_AndTheStreamReadsTheStore()
    {
        var watch = Started();
        // 20 results of 1 MiB: more bytes than a stream keeps in memory, far fewer than its count bound.
        for (var seq = 1; seq <= 20; seq++)
        {
            watch.Offer(new Completion { TaskId = $"s.{seq}", Seq = seq, Result = ByteString.CopyFrom(new byte[1024 * 1024]) });
        }

        Assert.True(watch.PendingBytes <= SessionWatch.MaxPendingBytes, $"{watch.PendingBytes} bytes kept");
        Assert.Null(watch.TakeFollowing(cursor: 0, max: 1000));
    }

    [Fact]
    public void TakeFollowing_StopsAtTheByteBound_ButAlwaysTakesTheFirst()
    {
        var watch = Started();
        for (var seq = 1; seq <= 3; seq++)
        {
            watch.Offer(new Completion { TaskId = $"s.{seq}", Seq = seq, Result = ByteString.CopyFrom(new byte[1024 * 1024]) });
        }

        Assert.Equal([1L], Seqs(watch.TakeFollowing(cursor: 0, max: 10, maxBytes: 1000)));
        Assert.Equal([2L, 3L], Seqs(watch.TakeFollowing(cursor: 1, max: 10, maxBytes: 3 * 1024 * 1024)));
        Assert.Equal(0, watch.PendingBytes);
    }

    [Fact]
    public void Notices_FillTheirShareOfAMessage_AndTheRestWaitForTheNext()
    {
        var watch = Started();
        for (var i = 0; i < 2000; i++)
        {
            watch.Add(new TaskEvent { TaskId = $"s.{i}", Session = "s", Progress = new Progress { Fraction = 0.5, Message = "half way" } });
        }

        var batch = new CompletionBatch();
        Assert.True(watch.DrainEventsInto(batch, SessionWatch.MaxEventBytesPerBatch));
        Assert.InRange(batch.CalculateSize(), 1, SessionWatch.MaxEventBytesPerBatch);
        var rest = new CompletionBatch();
        while (watch.DrainEventsInto(rest, SessionWatch.MaxEventBytesPerBatch))
        {
        }
        Assert.Equal(2000, batch.Events.Count + rest.Events.Count);
    }

    private static SessionWatch Started()
    {
        var watch = new SessionWatch();
        Assert.Null(watch.TakeFollowing(cursor: 0, max: 10)); // the first read, of an empty store
        return watch;
    }

    private static void Offer(SessionWatch watch, params long[] seqs)
    {
        foreach (var seq in seqs)
        {
            watch.Offer(new Completion { TaskId = $"s.{seq}", Seq = seq });
        }
    }

    private static long[] Seqs(List<Completion>? taken)
    {
        Assert.NotNull(taken);
        return [.. taken.Select(c => c.Seq)];
    }
}
