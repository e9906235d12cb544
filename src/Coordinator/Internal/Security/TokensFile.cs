using System.Text.RegularExpressions;

namespace Cluster.Coordinator.Internal.Security;

/// <summary>
/// Reads a tokens file: one grant per line, <c>ROLE NAME TOKEN</c>, a worker line optionally ending
/// with <c>names=a,b</c>; blank lines and lines starting with <c>#</c> are skipped. A name is an
/// identity holding the union of its lines' roles; any of its tokens authenticates it. No error
/// message echoes a token (or any field that could be one misplaced).
/// </summary>
internal static partial class TokensFile
{
    /// <summary>The shortest token accepted: a guessable token is no credential.</summary>
    public const int MinTokenLength = 16;

    public const string Format = "ROLE NAME TOKEN, one grant per line (roles: client, worker, admin; a worker line may end with names=a,b)";

    [GeneratedRegex("^[A-Za-z0-9_.:/@-]{1,200}$")]
    private static partial Regex NamePattern();

    /// <summary>Reads and parses the file, adding the in-memory grants.</summary>
    public static GrantSet Read(string path, IEnumerable<TokenGrant> extra)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokensFileException($"tokens file '{path}' cannot be read: {e.Message}", 0);
        }
        return Parse(path, text, extra);
    }

    public static GrantSet Parse(string path, string text, IEnumerable<TokenGrant> extra)
    {
        var grants = new List<(TokenGrant Grant, string Where, int Line)>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            var where = $"tokens file '{path}' line {i + 1}";
            grants.Add((ParseLine(line, where, i + 1), where, i + 1));
        }
        foreach (var grant in extra)
        {
            var where = $"the in-memory {grant.Role.ToString().ToLowerInvariant()} grant of '{grant.Name}'";
            Check(grant, where, 0);
            grants.Add((grant, where, 0));
        }
        return Build(grants);
    }

    private static TokenGrant ParseLine(string line, string where, int number)
    {
        var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 3 or > 4)
        {
            throw new TokensFileException($"{where}: expected {Format}; the line has {fields.Length} fields.", number);
        }
        var role = fields[0] switch
        {
            "client" => ClusterRole.Client,
            "worker" => ClusterRole.Worker,
            "admin" => ClusterRole.Admin,
            _ => throw new TokensFileException($"{where}: the first field must be a role: client, worker or admin.", number),
        };
        IReadOnlyList<string>? names = null;
        if (fields.Length == 4)
        {
            if (role != ClusterRole.Worker || !fields[3].StartsWith("names=", StringComparison.Ordinal))
            {
                throw new TokensFileException($"{where}: only a worker line may have a fourth field, and it must be names=a,b (the task names it may serve).", number);
            }
            names = fields[3]["names=".Length..].Split(',');
        }
        var grant = new TokenGrant(role, fields[1], fields[2]) { TaskNames = names };
        Check(grant, where, number);
        return grant;
    }

    private static void Check(TokenGrant grant, string where, int number)
    {
        if (grant.Role is not (ClusterRole.Client or ClusterRole.Worker or ClusterRole.Admin))
        {
            throw new TokensFileException($"{where}: the role must be one of client, worker or admin.", number);
        }
        if (grant.Name is null || !NamePattern().IsMatch(grant.Name))
        {
            throw new TokensFileException($"{where}: the name must be 1 to 200 letters, digits or _ . : / @ - characters.", number);
        }
        if (grant.Token is null || grant.Token.Length < MinTokenLength || grant.Token.Any(char.IsWhiteSpace))
        {
            throw new TokensFileException($"{where}: the token must be at least {MinTokenLength} characters with no whitespace (e.g. openssl rand -hex 32).", number);
        }
        if (grant.TaskNames is not null && (grant.Role != ClusterRole.Worker || grant.TaskNames.Count == 0 || !grant.TaskNames.All(n => NamePattern().IsMatch(n))))
        {
            throw new TokensFileException($"{where}: names= takes a comma-separated list of task names (letters, digits and _ . : / @ -), for a worker grant only.", number);
        }
    }

    private static GrantSet Build(List<(TokenGrant Grant, string Where, int Line)> grants)
    {
        var roles = new Dictionary<string, ClusterRole>(StringComparer.Ordinal);
        var everyName = new HashSet<string>(StringComparer.Ordinal);
        var taskNames = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (grant, _, _) in grants)
        {
            roles[grant.Name] = roles.GetValueOrDefault(grant.Name) | grant.Role;
            if (grant.Role != ClusterRole.Worker)
            {
                continue;
            }
            if (grant.TaskNames is null)
            {
                everyName.Add(grant.Name);
            }
            else
            {
                if (!taskNames.TryGetValue(grant.Name, out var set))
                {
                    taskNames[grant.Name] = set = new HashSet<string>(StringComparer.Ordinal);
                }
                set.UnionWith(grant.TaskNames);
            }
        }
        var identities = roles.ToDictionary(
            r => r.Key,
            r => new IdentityGrant(r.Key, r.Value, everyName.Contains(r.Key) ? null : taskNames.GetValueOrDefault(r.Key)),
            StringComparer.Ordinal);
        var tokens = new List<(byte[] Hash, IdentityGrant Owner)>();
        var seen = new Dictionary<string, (string Name, string Where)>(StringComparer.Ordinal);
        foreach (var (grant, where, line) in grants)
        {
            var hash = Convert.ToHexString(GrantSet.Hash(grant.Token));
            if (seen.TryGetValue(hash, out var first))
            {
                if (first.Name != grant.Name)
                {
                    throw new TokensFileException($"{where}: its token is also the token of identity '{first.Name}' ({first.Where}); each token belongs to one identity.", line);
                }
                continue;
            }
            seen[hash] = (grant.Name, where);
            tokens.Add((Convert.FromHexString(hash), identities[grant.Name]));
        }
        return new GrantSet(tokens);
    }
}
