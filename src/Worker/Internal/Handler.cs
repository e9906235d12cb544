using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cluster.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Worker.Internal;

/// <summary>A registered delegate, bound once: how to turn JSON arguments into a call and its return into JSON.</summary>
internal sealed class Handler
{
    /// <summary>
    /// The wire's JSON settings, but strict about numbers: a string such as "2" does not bind to a
    /// numeric parameter (the web defaults would read it), so a caller's type mistake fails loudly.
    /// </summary>
    private static readonly JsonSerializerOptions ArgumentOptions = new(ClusterJson.Options) { NumberHandling = JsonNumberHandling.Strict };

    private readonly Delegate _delegate;
    // With a module: the handler is one of its methods, called on the module's instance of the run's scope.
    private readonly Type? _module;
    private readonly ParameterInfo[] _parameters;
    // Parameters taken from the run's services rather than from the task's arguments.
    private readonly bool[] _fromServices;
    private readonly int _jsonParameters;
    private readonly Type _resultType;
    private readonly Func<object, Task>? _toTask;
    private readonly Func<Task, object?>? _taskResult;

    private Handler(string name, Delegate handler, TaskPolicy? policy, IServiceProviderIsService? services, Type? module)
    {
        Name = name;
        Policy = policy;
        _delegate = handler;
        _module = module;
        _parameters = handler.Method.GetParameters();
        _fromServices = [.. _parameters.Select(p => !IsContext(p.ParameterType) && services?.IsService(p.ParameterType) == true)];
        _jsonParameters = _parameters.Where((p, i) => !IsInjected(i)).Count();
        var returnType = handler.Method.ReturnType;
        if (returnType == typeof(Task) || returnType == typeof(ValueTask))
        {
            Executor = Executor.CoroutineLoop;
            _resultType = typeof(object);
            _toTask = returnType == typeof(Task) ? o => (Task)o : o => ((ValueTask)o).AsTask();
            _taskResult = _ => null;
        }
        else if (returnType.IsGenericType && (returnType.GetGenericTypeDefinition() == typeof(Task<>) || returnType.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            Executor = Executor.CoroutineLoop;
            _resultType = returnType.GetGenericArguments()[0];
            var asTask = returnType.GetMethod(nameof(ValueTask<int>.AsTask));
            _toTask = asTask is null ? o => (Task)o : o => (Task)asTask.Invoke(o, null)!;
            var taskType = typeof(Task<>).MakeGenericType(_resultType);
            var result = taskType.GetProperty(nameof(Task<int>.Result))!;
            _taskResult = t => result.GetValue(t);
        }
        else
        {
            Executor = Executor.ThreadPool;
            _resultType = returnType == typeof(void) ? typeof(object) : returnType;
        }
    }

    public string Name { get; }

    public Executor Executor { get; }

    /// <param name="name">The task name.</param>
    /// <param name="handler">The delegate.</param>
    /// <param name="policy">Retries and timeouts of the name.</param>
    /// <param name="services">With dependency injection: tells which parameters are services, taken from the run's scope.</param>
    /// <param name="module">A module type whose method <paramref name="handler"/> is: each run calls it on the module's instance of its own scope.</param>
    public static Handler Create(string name, Delegate handler, TaskPolicy? policy = null, IServiceProviderIsService? services = null, Type? module = null) =>
        new(name, handler, policy, services, module);

    public TaskPolicy? Policy { get; }

    /// <summary>Runs a synchronous handler; returns its JSON result.</summary>
    public byte[] Invoke(TaskContext context, ReadOnlySpan<byte> args)
    {
        var value = Call(context, args);
        return JsonSerializer.SerializeToUtf8Bytes(value, _resultType, ClusterJson.Options);
    }

    /// <summary>Starts an async handler on the current thread (the coroutine loop); its task gives the JSON result.</summary>
    public async Task<byte[]> InvokeAsync(TaskContext context, ReadOnlyMemory<byte> args)
    {
        var task = _toTask!(Call(context, args.Span)!);
        await task;
        var value = _taskResult!(task);
        return JsonSerializer.SerializeToUtf8Bytes(value, _resultType, ClusterJson.Options);
    }

    /// <summary>Runs a synchronous handler once per argument array of a chunk; one result entry each.</summary>
    public byte[] InvokeChunk(TaskContext context, ReadOnlySpan<byte> chunk)
    {
        var calls = ChunkCalls(chunk);
        return ChunkResults(calls, call => Invoke(context, call));
    }

    /// <summary>Runs an async handler once per argument array of a chunk, one after another.</summary>
    public async Task<byte[]> InvokeChunkAsync(TaskContext context, ReadOnlyMemory<byte> chunk)
    {
        var calls = ChunkCalls(chunk.Span);
        var results = new List<(byte[]? Value, Exception? Error)>(calls.Count);
        foreach (var call in calls)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            try
            {
                results.Add((await InvokeAsync(context, call), null));
            }
            catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
            {
                results.Add((null, e));
            }
        }
        return WriteChunk(results);
    }

    private static List<byte[]> ChunkCalls(ReadOnlySpan<byte> chunk)
    {
        using var document = JsonDocument.Parse(chunk.ToArray());
        if (document.RootElement.ValueKind != JsonValueKind.Array || document.RootElement.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Array))
        {
            throw new ArgumentException("A chunk must be a JSON array of argument arrays.");
        }
        return document.RootElement.EnumerateArray().Select(e => JsonSerializer.SerializeToUtf8Bytes(e)).ToList();
    }

    private static byte[] ChunkResults(List<byte[]> calls, Func<byte[], byte[]> invoke)
    {
        var results = new List<(byte[]? Value, Exception? Error)>(calls.Count);
        foreach (var call in calls)
        {
            try
            {
                results.Add((invoke(call), null));
            }
            catch (Exception e)
            {
                results.Add((null, e));
            }
        }
        return WriteChunk(results);
    }

    private static byte[] WriteChunk(List<(byte[]? Value, Exception? Error)> results)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var (value, error) in results)
            {
                writer.WriteStartObject();
                if (error is null)
                {
                    writer.WritePropertyName("ok");
                    writer.WriteRawValue(value!, skipInputValidation: true);
                }
                else
                {
                    writer.WriteStartObject("error");
                    writer.WriteString("type", error.GetType().FullName);
                    writer.WriteString("message", error.Message);
                    writer.WriteString("stackTrace", error.StackTrace ?? string.Empty);
                    writer.WriteEndObject();
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return buffer.ToArray();
    }

    private object? Call(TaskContext context, ReadOnlySpan<byte> args)
    {
        var values = Bind(context, args);
        try
        {
            return _module is null
                ? _delegate.DynamicInvoke(values)
                : _delegate.Method.Invoke(ActivatorUtilities.GetServiceOrCreateInstance(RunServices(context), _module), values);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private object?[] Bind(TaskContext context, ReadOnlySpan<byte> args)
    {
        var values = new object?[_parameters.Length];
        var reader = new Utf8JsonReader(args);
        var inArray = !args.IsEmpty && reader.Read();
        if (inArray && reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ArgumentException($"The arguments of task '{Name}' must be a JSON array.");
        }
        var given = 0;
        for (var i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            if (parameter.ParameterType == typeof(TaskContext))
            {
                values[i] = context;
                continue;
            }
            if (parameter.ParameterType == typeof(CancellationToken))
            {
                values[i] = context.CancellationToken;
                continue;
            }
            if (_fromServices[i])
            {
                values[i] = RunServices(context).GetRequiredService(parameter.ParameterType);
                continue;
            }
            if (inArray && reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                given++;
                try
                {
                    // Read straight from the payload: no document, no copies.
                    values[i] = JsonSerializer.Deserialize(ref reader, parameter.ParameterType, ArgumentOptions);
                }
                catch (JsonException e)
                {
                    throw new ArgumentException($"Argument '{parameter.Name}' of task '{Name}' cannot be read as {parameter.ParameterType.Name}: {e.Message}");
                }
                continue;
            }
            inArray = false;
            if (parameter.HasDefaultValue)
            {
                values[i] = parameter.DefaultValue;
                continue;
            }
            throw new ArgumentException($"Task '{Name}' takes {_jsonParameters} argument(s) ({Signature()}); it was given {given + CountRest(ref reader)}.");
        }
        if (inArray)
        {
            var extra = CountRest(ref reader);
            if (extra > 0)
            {
                throw new ArgumentException($"Task '{Name}' takes {_jsonParameters} argument(s) ({Signature()}); it was given {given + extra}.");
            }
        }
        return values;
    }

    /// <summary>Counts the array elements left after the reader's position.</summary>
    private static int CountRest(ref Utf8JsonReader reader)
    {
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Skip();
            count++;
        }
        return count;
    }

    private static IServiceProvider RunServices(TaskContext context) =>
        context.Services ?? throw new InvalidOperationException($"Task '{context.Name}' takes services, but its run has no service scope.");

    private string Signature() =>
        string.Join(", ", _parameters.Where((p, i) => !IsInjected(i)).Select(p => p.Name));

    /// <summary>Is parameter <paramref name="index"/> supplied by the worker rather than read from the task's arguments?</summary>
    private bool IsInjected(int index) => IsContext(_parameters[index].ParameterType) || _fromServices[index];

    private static bool IsContext(Type type) => type == typeof(TaskContext) || type == typeof(CancellationToken);
}
