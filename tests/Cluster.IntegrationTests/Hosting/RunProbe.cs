namespace Cluster.IntegrationTests.Hosting;

/// <summary>A scoped service, as a DbContext would be: counts the instances made and disposed.</summary>
public sealed class RunProbe(ProbeCounts counts) : IDisposable
{
    public int Id { get; } = Interlocked.Increment(ref counts.Created);

    public bool Disposed { get; private set; }

    public void Dispose()
    {
        Disposed = true;
        Interlocked.Increment(ref counts.Disposed);
    }
}

/// <summary>How many <see cref="RunProbe"/>s were made and disposed (a singleton).</summary>
public sealed class ProbeCounts
{
    public int Created;
    public int Disposed;
}
