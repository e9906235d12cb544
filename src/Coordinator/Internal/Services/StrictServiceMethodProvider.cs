using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Binds a generated service's methods as Grpc.AspNetCore does, but with a request deserializer
/// that answers a message that does not parse with INVALID_ARGUMENT (see <see cref="MalformedRequests"/>).
/// </summary>
/// <remarks>
/// Grpc.AspNetCore reads the request of a unary or server-streaming call before any interceptor
/// runs, and reports every exception of the deserializer as UNKNOWN "Exception was thrown by
/// handler", with its stack trace logged as an error, once per call. An <see cref="RpcException"/>
/// thrown by the deserializer instead keeps its status and is logged at debug level only.
/// </remarks>
internal sealed class StrictServiceMethodProvider<TService>(MalformedRequests malformed) : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var bind = typeof(TService).GetCustomAttribute<BindServiceMethodAttribute>(inherit: true);
        if (bind is null)
        {
            return;
        }
        var baseType = typeof(TService).BaseType!;
        var method = bind.BindType.GetMethod(bind.BindMethodName, BindingFlags.Public | BindingFlags.Static, [typeof(ServiceBinderBase), baseType])
            ?? throw new InvalidOperationException($"{bind.BindType} has no method {bind.BindMethodName}.");
        // The generated method adds each RPC to the binder; with no instance, it hands no handler.
        method.Invoke(null, [new StrictServiceBinder<TService>(context, malformed), null]);
    }
}
