using System.Security.Cryptography;
using System.Text;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// The grants in force: a SHA-256 hash of every token and the identity it authenticates. Tokens
/// are compared in constant time: the hash of the presented token is compared with every grant's
/// hash, to the end, whichever matches.
/// </summary>
internal sealed class GrantSet
{
    private readonly byte[][] _hashes;
    private readonly IdentityGrant[] _owners;

    public GrantSet(IReadOnlyList<(byte[] Hash, IdentityGrant Owner)> tokens)
    {
        _hashes = tokens.Select(t => t.Hash).ToArray();
        _owners = tokens.Select(t => t.Owner).ToArray();
        Identities = _owners.DistinctBy(o => o.Name).Count();
    }

    /// <summary>How many tokens authenticate someone.</summary>
    public int Tokens => _hashes.Length;

    /// <summary>How many identities hold them.</summary>
    public int Identities { get; }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>The identity the token authenticates; null for an unknown token.</summary>
    public IdentityGrant? Authenticate(string token)
    {
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), presented);
        var found = -1;
        for (var i = 0; i < _hashes.Length; i++)
        {
            // No early exit: the time taken does not depend on which grant matched, or how closely.
            var match = CryptographicOperations.FixedTimeEquals(presented, _hashes[i]);
            found = match ? i : found;
        }
        return found < 0 ? null : _owners[found];
    }
}
