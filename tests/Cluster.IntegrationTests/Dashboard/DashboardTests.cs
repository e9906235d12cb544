using System.Net;
using Cluster.IntegrationTests.Infrastructure;
using Cluster.IntegrationTests.Worker;
using Cluster.Protocol.V1;
using Google.Protobuf;
using OpenQA.Selenium;

namespace Cluster.IntegrationTests.Dashboard;

/// <summary>The coordinator's dashboard in a real headless Chromium, against a real `cluster up`.</summary>
public sealed class DashboardTests(DashboardCluster cluster) : IClassFixture<DashboardCluster>
{
    [SkippableFact]
    public async Task Page_Loads_WithNoConsoleErrors()
    {
        cluster.Require();

        // Reading the log empties it: what the sign-in page logged is not this page's.
        _ = cluster.Browser.Manage().Logs.GetLog(LogType.Browser);
        cluster.Browser.Navigate().GoToUrl(cluster.DashboardAddress);
        await cluster.WaitUntilLiveAsync();

        // The state was pushed and rendered: the fixture's worker process is listed.
        await TaskTimeouts.Eventually(() => Task.FromResult(cluster.Browser.FindElements(By.CssSelector("#workers tbody tr")).Count >= 1), "the worker is listed");
        // Its heartbeat is recent: the worker does not stand out.
        var heartbeat = (string)cluster.Browser.ExecuteScript("return document.querySelector('#workers tbody tr td.beat').textContent;")!;
        Assert.Matches(@"^\d+\.\d s ago$", heartbeat);
        Assert.Empty(cluster.Browser.FindElements(By.CssSelector("#workers tr.stale")));
        var errors = cluster.Browser.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message).ToList();
        Assert.Empty(errors);
    }

    [SkippableFact]
    public async Task ClusterUp_PrintsTheDashboardsAddress_WhereThePageIsServed()
    {
        cluster.Require();

        var printed = await cluster.WaitForOutputAsync(@"Dashboard at (\S+)", TimeSpan.FromSeconds(5));

        Assert.Equal(cluster.DashboardAddress, new Uri(printed.Groups[1].Value));
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
    }

    [SkippableFact]
    public async Task Queue_ShowsTasksNoWorkerServes_AndFallsWithoutAReload_AsAWorkerDrainsThem()
    {
        cluster.Require();
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
        // Set on this page: a reload would lose it.
        cluster.Browser.ExecuteScript("window.notReloaded = true;");
        const int Count = 40;
        var marker = "q" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        for (var i = 0; i < Count; i++)
        {
            // `humanize` is not among the fixture's worker's tasks: the tasks wait.
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = "humanize", Args = ByteString.CopyFromUtf8($"[\"some_text_{i}\"]") });
        }
        Assert.Empty((await cluster.Tasks.SubmitAsync(request)).Rejected);

        await TaskTimeouts.Eventually(() => Task.FromResult(QueueRow("humanize") is { } row && row.Depth == Count && row.Served == "no live worker"),
            $"the page shows humanize with a depth of {Count}, served by no live worker");

        await using var worker = ChildProcess.StartCluster("worker", "--coordinator", cluster.Address.ToString(), "--processes", "1", "--tasks", TaskLibraries.Humanizer, "--token", cluster.FixtureToken!);
        await TaskTimeouts.Eventually(() => Task.FromResult(QueueRow("humanize") is null or { Depth: 0 }), "the page shows the humanize queue drained");

        Assert.Equal(true, cluster.Browser.ExecuteScript("return window.notReloaded === true;"));
    }

    [SkippableFact]
    public async Task DeadLetter_RequeueButton_RequeuesIt_AfterConfirm()
    {
        cluster.Require();
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
        var marker = "d" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        // One attempt: its first failure dead-letters it.
        request.Tasks.Add(new TaskSpec { Id = marker, Name = "fail", Args = ByteString.CopyFromUtf8("[\"boom\"]"), Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "*" } } });
        Assert.Empty((await cluster.Tasks.SubmitAsync(request)).Rejected);
        var letter = await DeadLetterAsync(marker);
        var button = await FindAsync(By.CssSelector($"#dead tr[data-id='{letter.TaskId}'] button.requeue"), "the dead letter's requeue button shows");

        button.Click();
        cluster.Browser.SwitchTo().Alert().Accept();

        await TaskTimeouts.Eventually(() => Task.FromResult(cluster.Browser.FindElement(By.Id("message")).GetDomProperty("textContent") == $"Requeued {letter.TaskId}."),
            "the page says it requeued the task");
        // Back in its queue with fresh counters, the dead letter written at that time is gone (a later failure may write a new one).
        await TaskTimeouts.Eventually(async () => !(await cluster.Admin.DeadLettersAsync(new DeadLettersRequest { Limit = 1000 })).Letters.Any(l => l.TaskId == letter.TaskId && l.AtUnixMs == letter.AtUnixMs),
            "the dead letter is requeued");
    }

    [SkippableFact]
    public async Task DeadLetters_OfOneName_AreAllRequeued_ByItsButton_AfterConfirm()
    {
        cluster.Require();
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
        var marker = "n" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        for (var i = 0; i < 2; i++)
        {
            // flaky fails its first 100 attempts; with one attempt allowed, each goes to the dead letters.
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = "flaky", Args = ByteString.CopyFromUtf8("[100]"), Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "*" } } });
        }
        Assert.Empty((await cluster.Tasks.SubmitAsync(request)).Rejected);
        var letters = new[] { await DeadLetterAsync(marker + ".0"), await DeadLetterAsync(marker + ".1") };
        var button = await FindAsync(By.CssSelector("#dead-names button[data-name='flaky']"), "the button that requeues every flaky shows");

        button.Click();
        cluster.Browser.SwitchTo().Alert().Accept();

        await TaskTimeouts.Eventually(() => Task.FromResult(((string)cluster.Browser.FindElement(By.Id("message")).GetDomProperty("textContent")!).StartsWith("Requeued ", StringComparison.Ordinal)),
            "the page says it requeued them");
        await TaskTimeouts.Eventually(async () => !(await cluster.Admin.DeadLettersAsync(new DeadLettersRequest { Limit = 1000 })).Letters.Any(l => letters.Any(o => o.TaskId == l.TaskId && o.AtUnixMs == l.AtUnixMs)),
            "both dead letters are requeued");
    }

    [SkippableFact]
    public async Task Page_Refuses_WithoutTheAdminToken()
    {
        cluster.Require();
        try
        {
            cluster.Browser.Manage().Cookies.DeleteAllCookies();
            cluster.Browser.Navigate().GoToUrl(cluster.DashboardAddress);
            await TaskTimeouts.Eventually(() => Task.FromResult(cluster.Page.Text("#refused")?.Contains("needs an admin token", StringComparison.Ordinal) == true), "the page says it needs an admin token");
            Assert.Empty(cluster.Browser.FindElements(By.Id("queues")));

            cluster.SignIn(cluster.ClientToken);
            // read in one step: the page renders the element again as the sign-in's answer comes
            await TaskTimeouts.Eventually(() => Task.FromResult(cluster.Page.Text("#refused")?.Contains("Identity 'viewer' lacks the 'admin' role", StringComparison.Ordinal) == true), "the page says the identity lacks the admin role");
            Assert.Empty(cluster.Browser.FindElements(By.Id("queues")));
            Assert.Empty(cluster.Browser.Manage().Cookies.AllCookies);

            using var http = new HttpClient { BaseAddress = cluster.DashboardAddress };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri("events", UriKind.Relative))).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync(new Uri("actions/purge", UriKind.Relative), null)).StatusCode);
        }
        finally
        {
            cluster.SignIn(cluster.AdminToken);
        }
        // The sign-in's answer sets the cookie a moment after the click returns.
        await TaskTimeouts.Eventually(() => Task.FromResult(cluster.Browser.Manage().Cookies.AllCookies.Any(c => c.Name == "cluster_admin")), "the admin's sign-in cookie is set");
        Assert.Contains(cluster.Browser.Manage().Cookies.AllCookies, c => c.Name == "cluster_admin" && c.IsHttpOnly && c.SameSite == "Strict");
    }

    [SkippableFact]
    public async Task Action_IsRefused_WithoutThePagesAntiForgeryToken()
    {
        cluster.Require();
        using var http = new HttpClient { BaseAddress = cluster.DashboardAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", cluster.AdminToken);

        var response = await http.PostAsync(new Uri("actions/purge", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("anti-forgery token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Rates_Move_AfterTasksRun_AndATaskShowsItsTimings()
    {
        cluster.Require();
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
        const int Count = 50;
        var marker = "r" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        for (var i = 0; i < Count; i++)
        {
            request.Tasks.Add(new TaskSpec { Id = $"{marker}.{i}", Name = "add", Args = ByteString.CopyFromUtf8($"[{i}, 1]") });
        }
        var shownRate = false;
        var shownQueue = (In: false, Out: false, Run: false);

        Assert.Empty((await cluster.Tasks.SubmitAsync(request)).Rejected);

        // The whole cluster's counts, as the store keeps them: the chart's last minute holds these tasks
        // (and whatever other tests ran), and the numbers per second rose above zero on the way, in the
        // overview and in the add queue's row.
        await TaskTimeouts.Eventually(() =>
        {
            shownRate |= Number("t-submitted") > 0 && Number("t-completed") > 0;
            shownQueue.In |= cluster.Page.Number(DashboardBrowser.QueueCell("add", "in")) > 0;
            shownQueue.Out |= cluster.Page.Number(DashboardBrowser.QueueCell("add", "out")) > 0;
            shownQueue.Run |= Text(DashboardBrowser.QueueCell("add", "run")) is { } run && run != "–" && Text("#t-run") != "–";
            return Task.FromResult(shownRate && shownQueue is (true, true, true) && RecentRates() is { Submitted: >= Count, Completed: >= Count });
        }, $"the rate chart holds {Count} tasks submitted and completed, and the rates per second moved, add's too");

        // One of them by its id: completed, by the fixture's worker, with the time it finished.
        var id = $"fixture|{marker}.7";
        cluster.Browser.FindElement(By.Id("lookup-id")).SendKeys(id);
        cluster.Browser.FindElement(By.CssSelector("#lookup button")).Click();
        await TaskTimeouts.Eventually(() => Task.FromResult(Text("#task-facts dd.task-id") == id && Text("#task-facts dd.task-state") == "completed"),
            "the page shows the task completed");
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$", Text("#task-facts dd.task-finished"));
        Assert.Equal("not kept once it finished", Text("#task-facts dd.task-args"));
    }

    [SkippableFact]
    public async Task Worker_ShowsThreadsBusyOverTotal_CoroutinesInFlight_AndItsVersion()
    {
        cluster.Require();
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
        var marker = "w" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        // Busy for a few heartbeats: a thread spins, a coroutine sleeps.
        request.Tasks.Add(new TaskSpec { Id = marker + ".spin", Name = "spin", Args = ByteString.CopyFromUtf8("[4000]") });
        request.Tasks.Add(new TaskSpec { Id = marker + ".sleep", Name = "sleep", Args = ByteString.CopyFromUtf8("[4.0]") });
        var worker = await FixtureWorkerAsync();

        Assert.Empty((await cluster.Tasks.SubmitAsync(request)).Rejected);

        var row = $"#workers tr[data-id='{worker.WorkerId}']";
        await TaskTimeouts.Eventually(() => Task.FromResult(
                Busy(Text($"{row} td.threads")) is ({ } threads, var totalThreads) && threads >= 1 && totalThreads == worker.Threads
                && Busy(Text($"{row} td.coroutines")) is ({ } coroutines, var totalCoroutines) && coroutines >= 1 && totalCoroutines == worker.Coroutines),
            "the worker's row shows a thread busy and a coroutine in flight, over its totals");
        var version = typeof(Cluster.Worker.WorkerProcess).Assembly.GetName().Version!;
        Assert.StartsWith($"{version.Major}.{version.Minor}.{version.Build}", Text($"{row} td.version"), StringComparison.Ordinal);
        Assert.Equal(Text($"{row} td.version"), (await FixtureWorkerAsync()).Version);
    }

    [SkippableFact]
    public async Task Failure_IsGroupedByType_AndItsTaskShowsTheAttemptsWorkerAndError()
    {
        cluster.Require();
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
        const string Type = "System.InvalidOperationException";
        var before = FailuresOf(Type);
        var marker = "f" + Guid.NewGuid().ToString("N")[..8];
        var request = new SubmitRequest { Session = "s" + marker };
        request.Tasks.Add(new TaskSpec { Id = marker, Name = "fail", Args = ByteString.CopyFromUtf8($"[\"bad input {marker}\"]"), Policy = new RetryPolicy { MaxAttempts = 1, RetryOn = { "*" } } });
        var worker = (await FixtureWorkerAsync()).WorkerId;

        Assert.Empty((await cluster.Tasks.SubmitAsync(request)).Rejected);

        await TaskTimeouts.Eventually(() => Task.FromResult(FailuresOf(Type) > before), $"the failures table counts one more {Type} in the last 5 minutes");
        var letter = await DeadLetterAsync(marker);
        cluster.Browser.FindElement(By.Id("lookup-id")).SendKeys(letter.TaskId);
        cluster.Browser.FindElement(By.CssSelector("#lookup button")).Click();
        await TaskTimeouts.Eventually(() => Task.FromResult(Text("#task-facts dd.task-id") == letter.TaskId && Text("#task-facts dd.task-state") == "dead-lettered"),
            "the page shows the task dead-lettered");
        var attempt = (IReadOnlyCollection<object>)cluster.Browser.ExecuteScript("return [...document.querySelector('#task-attempts tbody tr').cells].map(c => c.textContent);")!;
        Assert.Equal(new[] { "1", worker, Type, $"bad input {marker}" }, attempt.Cast<string>());
    }

    [SkippableFact]
    public async Task Schedule_Appears_WithItsCronAndNextRun_AndGoesWhenRemoved()
    {
        cluster.Require();
        cluster.SignIn(cluster.AdminToken);
        await cluster.WaitUntilLiveAsync();
        await using var executor = cluster.NewExecutor(cluster.ClientToken);
        var id = "nightly-" + Guid.NewGuid().ToString("N")[..8];
        // Once a year: no tick runs while the test looks.
        var added = await executor.Schedules.AddOrUpdateAsync(id, "0 3 1 1 *", "add", [1, 2]).WithTimeout();

        var row = $"#schedules tr[data-id$='{id}']";
        await TaskTimeouts.Eventually(() => Task.FromResult(Text(row + " td.cron") == "0 3 1 1 *" && Text(row + " td.name") == "add"),
            "the schedules table shows the schedule with its cron and task");
        var next = added.NextRun ?? throw new InvalidOperationException("the schedule has no next run");
        Assert.Equal(next.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), Text(row + " td.next"));

        Assert.True(await executor.Schedules.RemoveAsync(id).WithTimeout());
        await TaskTimeouts.Eventually(() => Task.FromResult(Text(row) is null), "the removed schedule leaves the table");
    }

    /// <summary>The fixture's own worker process (another test starts one of its own for a while).</summary>
    private async Task<WorkerStatus> FixtureWorkerAsync() =>
        (await cluster.Admin.StatusAsync(new StatusRequest())).Workers.Single(w => w.Tasks.Contains("spin"));

    /// <summary>The text of the first element <paramref name="selector"/> finds, read at once; null when none.</summary>
    private string? Text(string selector) =>
        (string?)cluster.Browser.ExecuteScript("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector);

    /// <summary>A figure of the overview, 0 while it shows none.</summary>
    private double Number(string id) =>
        double.TryParse(Text("#" + id)?.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>The tasks submitted and completed over the rate chart's last minute, as the page holds them.</summary>
    private (long Submitted, long Completed) RecentRates()
    {
        var chart = cluster.Browser.FindElement(By.Id("chart-rate"));
        return (long.Parse(chart.GetDomAttribute("data-submitted") ?? "0", System.Globalization.CultureInfo.InvariantCulture),
            long.Parse(chart.GetDomAttribute("data-completed") ?? "0", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>"busy/total" of a worker's cell; null when the cell is not there.</summary>
    private static (int? Busy, int Total) Busy(string? cell)
    {
        var parts = cell?.Replace(",", string.Empty, StringComparison.Ordinal).Split('/');
        return parts is [var busy, var total] ? (int.Parse(busy, System.Globalization.CultureInfo.InvariantCulture), int.Parse(total, System.Globalization.CultureInfo.InvariantCulture)) : (null, 0);
    }

    /// <summary>The failed runs of the last 5 minutes the failures table shows for an error type (0 without a row).</summary>
    private long FailuresOf(string type) =>
        long.TryParse(Text($"#failures tr[data-type='{type}'] td.recent")?.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>The depth and "served" cells of a task name's row, read at once (the rows are rendered anew with each state).</summary>
    private (long Depth, string Served)? QueueRow(string name)
    {
        var cells = cluster.Browser.ExecuteScript(
            "const row = document.querySelector(`#queues tbody tr[data-name='${arguments[0]}']`); return row ? [row.querySelector('td.depth').textContent, row.querySelector('td.served').textContent] : null;", name);
        if (cells is not IReadOnlyCollection<object> values)
        {
            return null;
        }
        var texts = values.Select(v => (string)v).ToList();
        return (long.Parse(texts[0].Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture), texts[1]);
    }

    private async Task<IWebElement> FindAsync(By by, string what)
    {
        IWebElement? found = null;
        await TaskTimeouts.Eventually(() => Task.FromResult((found = cluster.Browser.FindElements(by).FirstOrDefault()) is not null), what);
        return found!;
    }

    private async Task<DeadLetter> DeadLetterAsync(string marker)
    {
        DeadLetter? letter = null;
        await TaskTimeouts.Eventually(async () =>
        {
            letter = (await cluster.Admin.DeadLettersAsync(new DeadLettersRequest { Limit = 1000 })).Letters.FirstOrDefault(l => l.TaskId.EndsWith(marker, StringComparison.Ordinal));
            return letter is not null;
        }, $"{marker} is dead-lettered");
        return letter!;
    }
}
