using Cluster.Client;
using Cluster.WebApi;
using Cluster.WebApi.Contracts;

// Settings come from appsettings.json, environment variables (Cluster__Client__Addresses__0=...)
// and the command line (--Cluster:Client:Addresses:0=...), and are checked at start.
var builder = WebApplication.CreateBuilder(args);
var hostsCoordinator = builder.Configuration.GetSection("Cluster:Coordinator").Exists();
if (hostsCoordinator)
{
    // This API also hosts the coordinator, on its HTTP/2 endpoint (Kestrel:Endpoints:Cluster).
    builder.Services.AddClusterCoordinator(builder.Configuration.GetSection("Cluster:Coordinator"));
}
builder.Services.AddClusterClient(builder.Configuration.GetSection("Cluster:Client"));
builder.Services.AddSingleton<QuoteBook>();

var app = builder.Build();
if (hostsCoordinator)
{
    app.MapClusterCoordinator();
}

app.MapGet("/health", () => "ok");

// Submits and waits for the result.
app.MapPost("/quotes", async (QuoteRequest request, IClusterExecutor cluster, CancellationToken cancellationToken) =>
{
    try
    {
        return Results.Ok(await cluster.Submit(QuoteTasks.Price, request).AsTask().WaitAsync(cancellationToken));
    }
    catch (RemoteTaskException e)
    {
        return Results.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity);
    }
});

// Submits and answers at once with the task's id; GET /quotes/{id} reads the result.
app.MapPost("/quotes/enqueue", (QuoteRequest request, IClusterExecutor cluster, QuoteBook book) =>
{
    var future = cluster.Submit(QuoteTasks.Price, request);
    book.Add(future);
    return Results.Accepted($"/quotes/{future.Id}", new { id = future.Id });
});

app.MapGet("/quotes/{id}", async (string id, QuoteBook book) =>
{
    if (book.Find(id) is not { } future)
    {
        return Results.NotFound();
    }
    if (!future.Done)
    {
        return Results.Accepted($"/quotes/{id}", new { id, state = future.State.ToString() });
    }
    book.Remove(id);
    try
    {
        return Results.Ok(await future.AsTask());
    }
    catch (RemoteTaskException e)
    {
        return Results.Problem(e.Message, statusCode: StatusCodes.Status422UnprocessableEntity);
    }
});

// A task whose handler uses an HttpClient from the worker's IHttpClientFactory.
app.MapPost("/probe", async (ProbeRequest request, IClusterExecutor cluster, CancellationToken cancellationToken) =>
    Results.Ok(new { status = await cluster.Submit(QuoteTasks.Probe, request.Url).AsTask().WaitAsync(cancellationToken) }));

app.Run();

/// <summary>The body of POST /probe.</summary>
/// <param name="Url">The page the worker fetches.</param>
internal sealed record ProbeRequest(string Url);
