using Cluster.Contracts;

namespace Cluster.WebApi.Contracts;

/// <summary>The tasks the API submits and the worker runs.</summary>
public static class QuoteTasks
{
    /// <summary>Prices an order from the price list.</summary>
    public static readonly TaskDef<QuoteRequest, Quote> Price = new("quotes.price");

    /// <summary>Fetches a URL and returns its HTTP status code.</summary>
    public static readonly TaskDef<string, int> Probe = new("pages.probe");
}

/// <summary>An order to price: product codes and how many of each.</summary>
/// <param name="Customer">Who asks.</param>
/// <param name="Lines">Product code and quantity, one per line.</param>
public sealed record QuoteRequest(string Customer, IReadOnlyList<QuoteLine> Lines);

/// <summary>One line of an order.</summary>
/// <param name="Product">The product code.</param>
/// <param name="Quantity">How many.</param>
public sealed record QuoteLine(string Product, int Quantity);

/// <summary>The priced order.</summary>
/// <param name="Customer">Who asked.</param>
/// <param name="Total">The price of every line.</param>
/// <param name="PricedBy">The worker process that priced it ("host/pid").</param>
public sealed record Quote(string Customer, decimal Total, string PricedBy);
