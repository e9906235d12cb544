using Cluster.Cli;

// Socket completions run on the thread that polls the sockets instead of being queued to the
// thread pool: one thread wake-up fewer at every hop (gRPC to clients and workers, and the store's
// connection). Read once, when the first socket is made; set here, before any, unless given.
const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineCompletions, "1");
}
return await CliApp.RunAsync(args);
