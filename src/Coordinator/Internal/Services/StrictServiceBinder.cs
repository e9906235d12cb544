using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Cluster.Coordinator.Internal.Services;

/// <summary>
/// Receives a generated service's methods and adds each to the endpoint with a strict request
/// deserializer; the invoker calls the service's override of the method by name.
/// </summary>
internal sealed class StrictServiceBinder<TService>(ServiceMethodProviderContext<TService> context, MalformedRequests malformed) : ServiceBinderBase
    where TService : class
{
    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
        context.AddUnaryMethod(Strict(method), [], Invoker<Grpc.AspNetCore.Server.Model.UnaryServerMethod<TService, TRequest, TResponse>>(method.Name));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
        context.AddClientStreamingMethod(Strict(method), [], Invoker<Grpc.AspNetCore.Server.Model.ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
        context.AddServerStreamingMethod(Strict(method), [], Invoker<Grpc.AspNetCore.Server.Model.ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
        context.AddDuplexStreamingMethod(Strict(method), [], Invoker<Grpc.AspNetCore.Server.Model.DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name));

    private Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
    {
        var inner = method.RequestMarshaller;
        var what = typeof(TRequest).Name + " message";
        var marshaller = Marshallers.Create(inner.ContextualSerializer, deserializationContext =>
        {
            try
            {
                return inner.ContextualDeserializer(deserializationContext);
            }
            catch (Exception e) when (e is not RpcException)
            {
                throw malformed.Refuse(what, e);
            }
        });
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    /// <summary>An open-instance delegate to the service's public method of that name (its override of the generated base).</summary>
    private static TDelegate Invoker<TDelegate>(string name)
        where TDelegate : Delegate
    {
        var target = typeof(TService).GetMethod(name, BindingFlags.Public | BindingFlags.Instance)
            ?? throw new InvalidOperationException($"{typeof(TService)} has no method {name}.");
        return target.CreateDelegate<TDelegate>();
    }
}
