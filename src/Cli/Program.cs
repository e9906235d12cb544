using Cluster.Cli;

return await CliApp.RunAsync(args);
