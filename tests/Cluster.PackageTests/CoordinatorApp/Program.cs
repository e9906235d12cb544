using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// An ASP.NET Core application that serves the coordinator (embedded store) on a free loopback port, over h2c.
var builder = WebApplication.CreateBuilder(args);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
builder.Services.AddClusterCoordinator(builder.Configuration.GetSection("Cluster:Coordinator"));
var app = builder.Build();
app.MapClusterCoordinator();
await app.StartAsync();
Console.WriteLine($"Coordinator listening on {app.Urls.First()}");
await app.WaitForShutdownAsync();
