using Cluster.Contracts;

namespace Cluster.IntegrationTests.Client;

/// <summary>The characters a task or queue name may hold: what the client and the coordinator check on every submit.</summary>
public sealed class NameRulesTests
{
    [Fact]
    public void ATaskName_TakesAsciiLettersDigitsAndItsSixMarks_AndNothingElse()
    {
        Assert.True(TaskNames.IsValid("abcxyzABCXYZ0189_.:/@-"));
        Assert.True(TaskNames.IsValid(new string('a', TaskNames.MaxLength)));
        Assert.False(TaskNames.IsValid(new string('a', TaskNames.MaxLength + 1)));
        Assert.False(TaskNames.IsValid(null));
        Assert.False(TaskNames.IsValid(string.Empty));
        // Each of these breaks a name wherever it stands: first, in the middle or last.
        foreach (var bad in new[] { " ", "!", "|", "{", "}", "é", "\u0660", "\0", "\t", "ß", "+", "," })
        {
            Assert.False(TaskNames.IsValid(bad + "add"), $"'{bad}' first");
            Assert.False(TaskNames.IsValid("ad" + bad + "d"), $"'{bad}' inside");
            Assert.False(TaskNames.IsValid("add" + bad), $"'{bad}' last");
        }
        var refused = Assert.Throws<ArgumentException>(() => TaskNames.Require("two words"));
        Assert.Contains("Task name 'two words'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AQueueName_TakesAsciiLettersDigitsAndThreeMarks_AndNothingElse()
    {
        Assert.True(QueueNames.IsValid("abcxyzABCXYZ0189_.-"));
        Assert.True(QueueNames.IsValid(new string('q', QueueNames.MaxLength)));
        Assert.False(QueueNames.IsValid(new string('q', QueueNames.MaxLength + 1)));
        Assert.False(QueueNames.IsValid(null));
        Assert.False(QueueNames.IsValid(string.Empty));
        foreach (var bad in new[] { ":", "/", "@", "|", " ", "é", "\u0660" })
        {
            Assert.False(QueueNames.IsValid("mail" + bad + "out"), $"'{bad}' inside");
        }
        Assert.Equal("queue 'a b' must be 1 to 64 letters, digits or _ . -.", QueueNames.Problem("queue", "a b"));
    }
}
