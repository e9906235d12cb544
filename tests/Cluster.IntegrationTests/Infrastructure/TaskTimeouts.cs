namespace Cluster.IntegrationTests.Infrastructure;

/// <summary>Every await in a test has a deadline, so a bug fails fast instead of hanging CI.</summary>
internal static class TaskTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(60);

    public static Task WithTimeout(this Task task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default);

    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan? timeout = null) => task.WaitAsync(timeout ?? Default);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, checking after each short pause, up to a
    /// deadline that also bounds a check that does not return (a call to a stalled server).
    /// </summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
            try
            {
                if (await condition().WaitAsync(left))
                {
                    return;
                }
            }
            catch (TimeoutException)
            {
                // the check itself outlasted the deadline: the next turn says so
            }
            await Task.Delay(50);
        }
    }
}
