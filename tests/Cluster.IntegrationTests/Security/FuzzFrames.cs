using System.Buffers.Binary;
using Google.Protobuf;

namespace Cluster.IntegrationTests.Security;

/// <summary>
/// Request bodies for the fuzzer, each a function of (seed, index) alone so that a failure can be
/// made again: gRPC frames (a 5-byte header — compressed flag, big-endian length — and the message)
/// carrying random bytes, bit-flipped, truncated or extended encodings of valid messages, or valid
/// messages with extreme values; now and then the framing itself is wrong.
/// </summary>
internal static class FuzzFrames
{
    /// <summary>The body of frame <paramref name="index"/> for <paramref name="rpc"/>.</summary>
    public static byte[] Body(FuzzRpc rpc, int seed, int index)
    {
        var r = new Random(HashCode.Combine(seed, index));
        if (!rpc.Streamed)
        {
            return r.Next(10) == 0 ? BadFraming(Message(rpc, r), r) : Frame(Message(rpc, r));
        }
        // A worker stream: usually a hello first, then a few more messages of any kind (a submit stream: batches).
        using var body = new MemoryStream();
        if (rpc.Path.EndsWith("/Connect", StringComparison.Ordinal) && r.Next(4) != 0)
        {
            body.Write(Frame(FuzzMessages.Hello(r).ToByteArray()));
        }
        for (var i = r.Next(1, 4); i > 0; i--)
        {
            body.Write(r.Next(10) == 0 ? BadFraming(Message(rpc, r), r) : Frame(Message(rpc, r)));
        }
        return body.ToArray();
    }

    /// <summary>One message: random bytes (30%), a mutated valid message (40%), or extreme values (30%).</summary>
    private static byte[] Message(FuzzRpc rpc, Random r)
    {
        var pick = r.Next(10);
        if (pick < 3)
        {
            return FuzzMessages.RandomBytes(r, r.Next(8) == 0 ? r.Next(1_000, 100_000) : r.Next(0, 300));
        }
        if (pick < 7)
        {
            return Mutate(rpc.Valid(r).ToByteArray(), r);
        }
        var extreme = rpc.Extreme(r);
        return r.Next(4) == 0 ? FuzzMessages.UnknownFields(extreme, r) : extreme;
    }

    /// <summary>A few bit flips, truncations, extensions, insertions, deletions or repeats.</summary>
    private static byte[] Mutate(byte[] message, Random r)
    {
        var bytes = new List<byte>(message);
        for (var n = r.Next(1, 5); n > 0; n--)
        {
            var at = bytes.Count == 0 ? 0 : r.Next(bytes.Count);
            switch (r.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << r.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.AddRange(FuzzMessages.RandomBytes(r, r.Next(1, 64)));
                    break;
                case 3:
                    bytes.Insert(at, (byte)r.Next(256));
                    break;
                case 4 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                default:
                    bytes.AddRange(bytes.GetRange(at, r.Next(bytes.Count - at + 1)));
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>A well-formed frame: flag 0, the message's length, the message.</summary>
    public static byte[] Frame(byte[] message) => Frame(message, 0, (uint)message.Length);

    private static byte[] Frame(byte[] message, byte flag, uint length)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), length);
        message.CopyTo(frame, 5);
        return frame;
    }

    /// <summary>Framing a server must refuse: a compressed flag without an encoding, a length that lies, no frame, two frames, a cut header.</summary>
    private static byte[] BadFraming(byte[] message, Random r) => r.Next(7) switch
    {
        0 => Frame(message, 1, (uint)message.Length),
        1 => Frame(message, (byte)r.Next(2, 256), (uint)message.Length),
        2 => Frame(message, 0, (uint)message.Length + (uint)r.Next(1, 100)),
        3 when message.Length > 0 => Frame(message, 0, (uint)r.Next(message.Length)),
        4 => [.. Frame(message), .. Frame(message)],
        5 => Frame(message)[..r.Next(5)],
        _ => Frame(message, 0, uint.MaxValue >> r.Next(2)),
    };
}
