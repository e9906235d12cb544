namespace ConsumerApp;

/// <summary>An application service a task handler uses.</summary>
internal sealed class Greeter
{
    public string Greet(string name) => $"hello, {name}";
}
