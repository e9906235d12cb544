using Cluster.Coordinator;

namespace Cluster.IntegrationTests.Security;

/// <summary>The coordinator's per-call task limit is checked when it starts.</summary>
public sealed class SecretsOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void MaxBatchTasks_BelowOne_IsRefused_NamingTheSetting(int value)
    {
        var e = Assert.Throws<ArgumentException>(() => new CoordinatorOptions { MaxBatchTasks = value }.Validate());

        Assert.Equal($"MaxBatchTasks must be at least 1, not {value}.", e.Message);
    }

    [Fact]
    public async Task MaxBatch_OfZero_OnTheCommandLine_IsAUsageError_NamingTheOption()
    {
        await using var coordinator = ChildProcess.StartCluster("coordinator", "--port", "0", "--max-batch", "0");

        var exitCode = await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Contains("--max-batch must be a whole number from 1 to", coordinator.Output, StringComparison.Ordinal);
    }
}
