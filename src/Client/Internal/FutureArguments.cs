using System.Text.Json;
using System.Text.Json.Serialization;
using Cluster.Contracts;

namespace Cluster.Client.Internal;

/// <summary>
/// Writes a <see cref="ClusterFuture"/> among a submit's arguments as the placeholder
/// <c>{"$clusterInput":k}</c>, k its position among the task's inputs; the store puts the input's
/// result in its place before the task runs. The inputs are collected per thread while one submit's
/// arguments are written.
/// </summary>
internal sealed class FutureArguments : JsonConverter<ClusterFuture>
{
    // Set while this thread writes a submit's arguments; the list only once a future is among them.
    [ThreadStatic]
    private static bool t_writing;

    [ThreadStatic]
    private static List<ClusterFuture>? t_inputs;

    private static readonly Lazy<JsonSerializerOptions> LazyOptions = new(() =>
        new JsonSerializerOptions(ClusterJson.Options) { Converters = { new FutureArguments() } });

    /// <summary>The arguments' settings (<see cref="ClusterJson.Options"/>), with futures written as placeholders.</summary>
    public static JsonSerializerOptions Options => LazyOptions.Value;

    /// <summary>Writes <paramref name="args"/> as JSON; <paramref name="inputs"/> are the futures among them, in placeholder order (empty: none).</summary>
    public static byte[] Write(object args, out IReadOnlyList<ClusterFuture> inputs)
    {
        t_writing = true;
        t_inputs = null;
        try
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(args, args.GetType(), Options);
            inputs = (IReadOnlyList<ClusterFuture>?)t_inputs ?? [];
            return json;
        }
        finally
        {
            t_writing = false;
            t_inputs = null;
        }
    }

    /// <inheritdoc/>
    public override bool CanConvert(Type typeToConvert) => typeof(ClusterFuture).IsAssignableFrom(typeToConvert);

    /// <inheritdoc/>
    public override ClusterFuture Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("A ClusterFuture cannot be read from JSON: a task receives its input's result in its place.");

    /// <inheritdoc/>
    public override void Write(Utf8JsonWriter writer, ClusterFuture value, JsonSerializerOptions options)
    {
        if (!t_writing)
        {
            throw new NotSupportedException("A ClusterFuture can be written as JSON only among the arguments of a submit.");
        }
        var inputs = t_inputs ??= [];
        var k = inputs.IndexOf(value);
        if (k < 0)
        {
            k = inputs.Count;
            inputs.Add(value);
        }
        writer.WriteStartObject();
        writer.WriteNumber("$clusterInput", k);
        writer.WriteEndObject();
    }
}
