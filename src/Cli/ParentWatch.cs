namespace Cluster.Cli;

/// <summary>
/// For a process started by another (the worker daemon, a test): the parent holds our standard
/// input open, so end of file means it is gone, and we stop too.
/// </summary>
internal static class ParentWatch
{
    public static void Start(CancellationTokenSource stop)
    {
        var thread = new Thread(() =>
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[64];
                while (input.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
            stop.Cancel();
            // Leave even if a handler ignores cancellation.
            Thread.Sleep(TimeSpan.FromSeconds(10));
            Environment.Exit(0);
        })
        { IsBackground = true, Name = "cluster-parent-watch" };
        thread.Start();
    }
}
