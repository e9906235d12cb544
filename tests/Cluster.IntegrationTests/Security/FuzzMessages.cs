using System.Text;
using Cluster.Protocol.V1;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Request messages for every RPC: ordinary ones (to mutate) and ones with extreme field values —
/// int32/int64 bounds, negative numbers, empty and 10,000-character strings, invalid UTF-8, deeply
/// nested JSON, huge repeated counts. Task and handler names never collide with the sample tasks
/// a real client runs beside the fuzzer.
/// </summary>
internal static class FuzzMessages
{
    // Serialized as valid UTF-8, then swapped for bytes of the same length that are not UTF-8.
    private const string BadUtf8Marker = "\u0001BAD\u0001";
    private static readonly byte[] BadUtf8MarkerBytes = Encoding.UTF8.GetBytes(BadUtf8Marker);
    private static readonly byte[] InvalidUtf8 = [0xFF, 0xFE, 0xC0, 0x80, 0xED];

    public static IReadOnlyList<FuzzRpc> Rpcs { get; } =
    [
        new("/cluster.v1.Tasks/Submit", "client", false, ValidSubmit, r => Encode(ExtremeSubmit(r))),
        new("/cluster.v1.Tasks/SubmitStream", "client", true, ValidSubmit, r => Encode(ExtremeSubmit(r))),
        new("/cluster.v1.Tasks/Cancel", "client", false, ValidCancel, r => Encode(ExtremeCancel(r))),
        new("/cluster.v1.Tasks/Completions", "client", false, r => new CompletionsRequest { Session = Session(r), AfterSeq = r.NextInt64(0, 1000) }, r => Encode(new CompletionsRequest { Session = Text(r), AfterSeq = Int64(r) })),
        new("/cluster.v1.Tasks/Ack", "client", false, r => new AckRequest { Session = Session(r), UpToSeq = r.NextInt64(0, 1000) }, r => Encode(new AckRequest { Session = Text(r), UpToSeq = Int64(r) })),
        new("/cluster.v1.Workers/Connect", "worker", true, ValidWorkerMessage, r => Encode(ExtremeWorkerMessage(r))),
        new("/cluster.v1.Admin/Status", "admin", false, _ => new StatusRequest(), r => r.Next(2) == 0 ? [] : UnknownFields([], r)),
        new("/cluster.v1.Admin/DeadLetters", "admin", false, ValidDeadLetters, r => Encode(ExtremeDeadLetters(r))),
    ];

    /// <summary>A hello a worker would send, for task names no real worker serves.</summary>
    public static WorkerMessage Hello(Random r) => new()
    {
        Hello = new Hello
        {
            WorkerId = "fuzz-w" + r.Next(),
            Host = "fuzz-host",
            ProcessId = r.Next(1, 100_000),
            Threads = r.Next(1, 8),
            Coroutines = r.Next(0, 8),
            Handlers = { new HandlerInfo { Name = FuzzName(r), Kind = ExecutionKind.ThreadPool } },
        },
    };

    /// <summary>The message's bytes with any invalid-UTF-8 marker swapped for invalid UTF-8 of the same length.</summary>
    public static byte[] Encode(IMessage message)
    {
        var bytes = message.ToByteArray();
        for (var at = bytes.AsSpan().IndexOf(BadUtf8MarkerBytes); at >= 0;)
        {
            InvalidUtf8.CopyTo(bytes, at);
            var next = bytes.AsSpan(at + 1).IndexOf(BadUtf8MarkerBytes);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return bytes;
    }

    /// <summary>Appends fields no version of the contract has (a varint, a length-delimited one, a fixed64).</summary>
    public static byte[] UnknownFields(byte[] message, Random r)
    {
        using var stream = new MemoryStream();
        stream.Write(message);
        var output = new CodedOutputStream(stream, leaveOpen: true);
        output.WriteTag(90 + r.Next(10_000), WireFormat.WireType.Varint);
        output.WriteUInt64((ulong)r.NextInt64());
        output.WriteTag(20_000 + r.Next(1_000), WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(RandomBytes(r, r.Next(64))));
        output.WriteTag(536_870_911, WireFormat.WireType.Fixed64);
        output.WriteFixed64((ulong)r.NextInt64());
        output.Flush();
        return stream.ToArray();
    }

    public static byte[] RandomBytes(Random r, int length)
    {
        var bytes = new byte[length];
        r.NextBytes(bytes);
        return bytes;
    }

    private static SubmitRequest ValidSubmit(Random r)
    {
        var session = Session(r);
        var request = new SubmitRequest { Session = session };
        for (var i = r.Next(1, 5); i > 0; i--)
        {
            request.Tasks.Add(new TaskSpec
            {
                Id = $"{session}.{r.Next()}",
                Name = FuzzName(r),
                Args = ByteString.CopyFromUtf8($"[{r.Next()},\"x\"]"),
                Chunked = r.Next(8) == 0,
                Policy = r.Next(3) == 0 ? new RetryPolicy { MaxAttempts = r.Next(1, 4), BackoffMs = r.Next(1, 100), RetryOn = { "*" } } : null,
                IdempotencyKey = r.Next(4) == 0 ? "k" + r.Next(100) : string.Empty,
            });
        }
        return request;
    }

    private static SubmitRequest ExtremeSubmit(Random r)
    {
        var request = new SubmitRequest { Session = Text(r) };
        // Past any --max-batch, now and then: refused before it reaches the store.
        var count = r.Next(10) == 0 ? 10_001 + r.Next(10_000) : r.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            request.Tasks.Add(count > 10 ? new TaskSpec { Id = "f" + i, Name = "fuzz-nobody", Args = ByteString.CopyFromUtf8("[]") } : new TaskSpec
            {
                Id = Text(r),
                Name = r.Next(2) == 0 ? Text(r) : FuzzName(r),
                Args = Json(r),
                Chunked = r.Next(2) == 0,
                Policy = new RetryPolicy
                {
                    MaxAttempts = Int32(r), BackoffMs = Int32(r), BackoffMaxMs = Int32(r), SoftTimeoutMs = Int32(r),
                    HardTimeoutMs = Int32(r), MaxLostRuns = Int32(r), RetryOn = { Text(r), Text(r) },
                },
                IdempotencyKey = Text(r),
            });
        }
        return request;
    }

    private static CancelRequest ValidCancel(Random r)
    {
        var session = Session(r);
        var request = new CancelRequest { Session = session, Interrupt = r.Next(2) == 0 };
        for (var i = r.Next(0, 4); i > 0; i--)
        {
            request.TaskIds.Add($"{session}.{r.Next()}");
        }
        return request;
    }

    private static CancelRequest ExtremeCancel(Random r)
    {
        var request = new CancelRequest { Session = Text(r), Interrupt = r.Next(2) == 0 };
        if (r.Next(10) == 0)
        {
            // Many ids, all well-formed: each is looked up.
            request.TaskIds.AddRange(Enumerable.Range(0, 2_000 + r.Next(3_000)).Select(i => "fz." + i));
        }
        for (var i = r.Next(0, 4); i > 0; i--)
        {
            request.TaskIds.Add(Text(r));
        }
        return request;
    }

    private static DeadLettersRequest ValidDeadLetters(Random r) => new()
    {
        Requeue = r.Next(4) == 0 ? "fz." + r.Next() : string.Empty,
        Purge = r.Next(20) == 0,
        Limit = r.Next(0, 200),
        Page = r.Next(0, 5),
    };

    private static DeadLettersRequest ExtremeDeadLetters(Random r) => new()
    {
        Requeue = r.Next(2) == 0 ? Text(r) : string.Empty,
        Purge = r.Next(10) == 0,
        Limit = Int32(r),
        Page = Int32(r),
    };

    private static WorkerMessage ValidWorkerMessage(Random r)
    {
        var message = new WorkerMessage();
        switch (r.Next(6))
        {
            case 0:
                return Hello(r);
            case 1:
                message.Heartbeat = new Heartbeat();
                break;
            case 2:
                message.Results.Add(new TaskResult { TaskId = "fz." + r.Next(), Session = Session(r), Attempt = r.Next(1, 3), Value = ByteString.CopyFromUtf8("1") });
                break;
            case 3:
                message.ThreadCredits = r.Next(0, 4);
                message.CoroutineCredits = r.Next(0, 4);
                break;
            case 4:
                message.Events.Add(new TaskEvent { TaskId = "fz." + r.Next(), Session = Session(r), Attempt = 1, Progress = new Progress { Fraction = r.NextDouble(), Message = "p" } });
                break;
            default:
                message.Released.Add("fz." + r.Next());
                message.Draining = r.Next(2) == 0;
                break;
        }
        return message;
    }

    private static WorkerMessage ExtremeWorkerMessage(Random r)
    {
        var many = r.Next(10) == 0 ? 2_000 + r.Next(3_000) : r.Next(0, 3);
        var message = new WorkerMessage
        {
            ThreadCredits = Int32(r),
            CoroutineCredits = Int32(r),
            Draining = r.Next(2) == 0,
        };
        if (r.Next(2) == 0)
        {
            message.Hello = new Hello
            {
                WorkerId = Text(r), Host = Text(r), ProcessId = Int32(r), Threads = Int32(r), Coroutines = Int32(r), ThreadSlots = Int32(r),
            };
            for (var i = 0; i < many; i++)
            {
                message.Hello.Handlers.Add(many > 10
                    ? new HandlerInfo { Name = "fuzz-h" + i }
                    : new HandlerInfo { Name = Text(r), Kind = (ExecutionKind)Int32(r), Policy = new RetryPolicy { MaxAttempts = Int32(r), BackoffMs = Int32(r), BackoffMaxMs = Int32(r), SoftTimeoutMs = Int32(r), HardTimeoutMs = Int32(r), MaxLostRuns = Int32(r) } });
            }
        }
        for (var i = 0; i < many; i++)
        {
            message.Results.Add(many > 10
                ? new TaskResult { TaskId = "fz." + i, Session = "fz", Attempt = 1, Value = ByteString.CopyFromUtf8("1") }
                : new TaskResult { TaskId = Text(r), Session = Text(r), Attempt = Int32(r), Error = new TaskError { Type = Text(r), Message = Text(r), StackTrace = Text(r), Attempt = Int32(r) } });
            message.Events.Add(new TaskEvent { TaskId = many > 10 ? "fz." + i : Text(r), Session = many > 10 ? "fz" : Text(r), Attempt = Int32(r), Progress = new Progress { Fraction = Double(r), Message = many > 10 ? "p" : Text(r) } });
            message.Released.Add(many > 10 ? "fz." + i : Text(r));
        }
        return message;
    }

    private static string Session(Random r) => "fz" + r.Next(1_000);

    private static string FuzzName(Random r) => "fuzz-" + r.Next(8);

    private static int Int32(Random r) => r.Next(7) switch
    {
        0 => int.MinValue,
        1 => int.MaxValue,
        2 => -1,
        3 => 0,
        4 => -r.Next(),
        5 => int.MaxValue - r.Next(10),
        _ => r.Next(),
    };

    private static long Int64(Random r) => r.Next(6) switch
    {
        0 => long.MinValue,
        1 => long.MaxValue,
        2 => -1,
        3 => 0,
        4 => -r.NextInt64(),
        _ => r.NextInt64(),
    };

    private static double Double(Random r) => r.Next(6) switch
    {
        0 => double.NaN,
        1 => double.PositiveInfinity,
        2 => double.NegativeInfinity,
        3 => double.MaxValue,
        4 => -1,
        _ => r.NextDouble(),
    };

    private static string Text(Random r) => r.Next(9) switch
    {
        0 => string.Empty,
        1 => new string('x', 10_000),
        2 => BadUtf8Marker,
        3 => "fz|" + r.Next(),
        4 => "ü€😀\u200b",
        5 => " \t\n",
        6 => "fz\0" + r.Next(),
        7 => new string((char)r.Next(0x20, 0x7f), r.Next(1, 300)),
        _ => "fz" + r.Next(),
    };

    private static ByteString Json(Random r)
    {
        var depth = r.Next(100, 20_000);
        return r.Next(9) switch
        {
            0 => ByteString.CopyFromUtf8(new string('[', depth) + new string(']', depth)),
            1 => ByteString.CopyFromUtf8("[" + string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth) + "]"),
            2 => ByteString.CopyFromUtf8(new string('[', depth)),
            3 => ByteString.Empty,
            4 => ByteString.CopyFrom([(byte)'[', (byte)'"', .. InvalidUtf8, (byte)'"', (byte)']']),
            5 => ByteString.CopyFromUtf8("[1e999999, -1e999999, 123456789012345678901234567890]"),
            6 => ByteString.CopyFromUtf8("{\"not\": \"an array\"}"),
            7 => ByteString.CopyFrom(RandomBytes(r, r.Next(1, 200))),
            _ => ByteString.CopyFromUtf8("[\"" + new string('y', 10_000) + "\"]"),
        };
    }
}
