namespace Cluster.Client.Internal;

/// <summary>
/// The one place the SDK blocks on async work, for the members whose contract is blocking
/// (Cancel, Wait, Shutdown, Dispose). Safe because the SDK never resumes on a caller's
/// synchronization context (ConfigureAwait(false) throughout).
/// </summary>
internal static class Blocking
{
    public static void Wait(Task task) => task.GetAwaiter().GetResult();

    public static T Wait<T>(Task<T> task) => task.GetAwaiter().GetResult();
}
