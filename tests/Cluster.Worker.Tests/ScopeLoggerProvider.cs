using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cluster.Worker.Tests;

/// <summary>Keeps every log line with the values of the scopes it was written in, as a console logger with scopes would show them.</summary>
internal sealed class ScopeLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<(string Message, Dictionary<string, object?> Scope)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new ScopeLogger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class ScopeLogger(ScopeLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>(StringComparer.Ordinal);
            provider._scopes.ForEachScope((value, values) =>
            {
                if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, item) in pairs)
                    {
                        values[key] = item;
                    }
                }
            }, scope);
            provider.Lines.Enqueue((formatter(state, exception), scope));
        }
    }
}
