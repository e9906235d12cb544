using System.Text.Encodings.Web;
using System.Text.Json;

namespace Cluster.Cli.Commands;

/// <summary>The --json output of a command: one indented JSON document on standard output.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(object document) => Console.WriteLine(JsonSerializer.Serialize(document, Options));
}
