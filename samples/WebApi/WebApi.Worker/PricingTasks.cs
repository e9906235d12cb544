using System.Net;
using Cluster.WebApi.Contracts;
using Cluster.Worker;
using Microsoft.Extensions.Logging;

namespace Cluster.WebApi.Worker;

/// <summary>
/// A task module made from the application's services: each run of a task gets an instance of its
/// own, with the <see cref="PriceList"/> of the run's scope.
/// </summary>
public sealed partial class PricingTasks(PriceList prices, ILogger<PricingTasks> logger) : ITaskModule
{
    public void Register(TaskRegistry tasks) => tasks.Handle(QuoteTasks.Price, Price);

    private Quote Price(QuoteRequest request)
    {
        var total = request.Lines.Sum(line => prices.PriceOf(line.Product) * line.Quantity);
        LogPriced(request.Customer, total);
        return new Quote(request.Customer, total, $"{Dns.GetHostName()}/{Environment.ProcessId}");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Priced an order of {Customer}: {Total}")]
    private partial void LogPriced(string customer, decimal total);
}
