using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Cluster.Coordinator.Internal.Store;

/// <summary>A Lua script run by its SHA-1 (EVALSHA), loaded again when the server has forgotten it.</summary>
internal sealed class Script
{
    private readonly string _text;
    private readonly byte[] _sha;

    public Script(string name, string text)
    {
        Name = name;
        _text = text;
        _sha = SHA1.HashData(Encoding.UTF8.GetBytes(text));
    }

    public string Name { get; }

    /// <summary>Runs the script; with `--replica-acks`, returns only once the replicas have its writes.</summary>
    public async Task<RedisResult> RunAsync(IDatabase db, RedisKey[] keys, RedisValue[] args)
    {
        var result = await EvaluateAsync(db, keys, args).ConfigureAwait(false);
        if (ReplicaAcks.Of(db.Multiplexer) is { } acks)
        {
            await acks.WaitAsync(db, keys[0]).ConfigureAwait(false);
        }
        return result;
    }

    private async Task<RedisResult> EvaluateAsync(IDatabase db, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await db.ScriptEvaluateAsync(_sha, keys, args).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOSCRIPT", StringComparison.Ordinal))
        {
            // EVAL loads the script as it runs it; later calls go by SHA again.
            return await db.ScriptEvaluateAsync(_text, keys, args).ConfigureAwait(false);
        }
    }
}
