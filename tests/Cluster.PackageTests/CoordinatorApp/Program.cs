using Cluster.Coordinator;

// A coordinator on a free loopback port with the embedded store, until SIGTERM or Ctrl-C.
await using var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions { Port = 0 });
Console.WriteLine($"Coordinator listening on {coordinator.Address}");
await coordinator.WaitAsync(CancellationToken.None);
