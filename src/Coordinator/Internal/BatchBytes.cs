using Google.Protobuf;

namespace Cluster.Coordinator.Internal;

/// <summary>Sizes of stream messages' elements, so that every message is bounded by bytes.</summary>
internal static class BatchBytes
{
    /// <summary>What one element of a repeated field adds to its message: tag, length and body.</summary>
    public static int Of(IMessage element)
    {
        var size = element.CalculateSize();
        return 1 + CodedOutputStream.ComputeLengthSize(size) + size;
    }
}
