using Microsoft.AspNetCore.Builder;

namespace Cluster.Coordinator.Internal;

/// <summary>One convention builder for several mapped services: a convention added here applies to each.</summary>
internal sealed class EndpointConventions(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
{
    public void Add(Action<EndpointBuilder> convention)
    {
        foreach (var builder in builders)
        {
            builder.Add(convention);
        }
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        foreach (var builder in builders)
        {
            builder.Finally(finallyConvention);
        }
    }
}
