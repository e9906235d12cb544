using Microsoft.Extensions.Logging;

namespace Cluster.WebApi.Worker;

/// <summary>
/// The prices, as a unit of work over a database would hold them (a DbContext, say): scoped, so
/// each task run gets its own and it is disposed when the run ends.
/// </summary>
public sealed partial class PriceList(ILogger<PriceList> logger) : IDisposable
{
    private static readonly Dictionary<string, decimal> Prices = new(StringComparer.OrdinalIgnoreCase)
    {
        ["apple"] = 0.40m,
        ["bread"] = 2.10m,
        ["coffee"] = 7.95m,
    };

    /// <summary>The price of one <paramref name="product"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such product: the task fails with this error.</exception>
    public decimal PriceOf(string product) =>
        Prices.TryGetValue(product, out var price) ? price : throw new KeyNotFoundException($"No product '{product}' in the price list.");

    public void Dispose() => LogClosed();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Price list closed")]
    private partial void LogClosed();
}
