using Cluster.Worker;

namespace Cluster.TestTasks.Lua;

/// <summary>A task that needs a package with a native library the worker does not ship: KeraLua (Lua 5.4).</summary>
public sealed class LuaTasks : ITaskModule
{
    public void Register(TaskRegistry tasks) =>
        tasks.Register("lua", (string chunk) =>
        {
            using var lua = new KeraLua.Lua();
            if (lua.DoString(chunk))
            {
                throw new InvalidOperationException(lua.ToString(-1));
            }
            return lua.ToNumber(-1);
        });
}
