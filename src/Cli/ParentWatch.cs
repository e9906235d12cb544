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
                // The raw descriptor, not the console stream: a thread blocked in a console read can hold up the process's exit.
                using var input = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read, 1);
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
