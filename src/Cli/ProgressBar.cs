using System.Diagnostics;

namespace Cluster.Cli;

/// <summary>A live progress line: redrawn in place on a terminal, a line a second when redirected.</summary>
internal sealed class ProgressBar : IDisposable
{
    private const int Width = 40;
    private readonly int _total;
    private readonly Func<int> _done;
    private readonly Stopwatch _watch;
    private readonly Timer _timer;
    private readonly bool _redirected = Console.IsOutputRedirected;
    private int _finished;

    public ProgressBar(int total, Func<int> done, Stopwatch watch)
    {
        _total = total;
        _done = done;
        _watch = watch;
        var period = _redirected ? TimeSpan.FromSeconds(1) : TimeSpan.FromMilliseconds(100);
        _timer = new Timer(_ => Draw(), null, period, period);
    }

    public void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _timer.Dispose();
            Draw(final: true);
        }
    }

    private void Draw(bool final = false)
    {
        if (!final && Volatile.Read(ref _finished) != 0)
        {
            return;
        }
        var done = _done();
        var filled = (int)((long)done * Width / Math.Max(1, _total));
        var rate = done / Math.Max(0.001, _watch.Elapsed.TotalSeconds);
        var line = $"[{new string('#', filled)}{new string('.', Width - filled)}] {done,9:N0}/{_total:N0}  {rate,9:N0} tasks/s";
        if (_redirected)
        {
            Console.WriteLine(line);
        }
        else
        {
            Console.Write("\r" + line + (final ? Environment.NewLine : string.Empty));
        }
    }

    public void Dispose() => Finish();
}
