// The cluster's dashboard: renders the state the coordinator pushes (server-sent events, at most
// once a second) and sends the dead-letter actions with the page's anti-forgery token.
"use strict";
(() => {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const history = [];
  const keep = 300;
  const $ = (id) => document.getElementById(id);
  const number = (n) => (n === undefined || n === null) ? "–" : Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 });

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  // A time (Unix ms) as UTC, to the second.
  function utc(ms) {
    return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
  }

  function fill(tableId, items, emptyId, render) {
    const body = $(tableId).tBodies[0];
    const rows = document.createDocumentFragment();
    for (const item of items) {
      const row = document.createElement("tr");
      render(row, item);
      rows.appendChild(row);
    }
    body.replaceChildren(rows);
    $(tableId).hidden = items.length === 0;
    $(emptyId).hidden = items.length !== 0;
  }

  function line(points, max, className, span) {
    if (points.length < 2) return "";
    // The chart spans what the page has seen (at least a minute, at most the last five), or the whole series.
    const step = 300 / ((span || Math.max(60, points.length)) - 1);
    const start = 300 - (points.length - 1) * step;
    const coords = points.map((v, i) => `${(start + i * step).toFixed(1)},${(78 - (v / max) * 74).toFixed(1)}`).join(" ");
    return `<polyline class="${className}" points="${coords}" />`;
  }

  function chart(id, series, span) {
    const max = Math.max(1, ...series.flatMap((s) => s.points));
    const svg = $(id);
    // Only numbers go into this markup.
    svg.innerHTML = series.map((s) => line(s.points, max, s.className, span)).join("") +
      `<text x="2" y="10" class="axis">${number(max)}</text>`;
    svg.dataset.max = String(max);
  }

  const ms = (v) => v >= 1000 ? `${(v / 1000).toFixed(v >= 10000 ? 0 : 1)} s` : `${number(v)} ms`;
  const time = (unixMs) => unixMs ? new Date(unixMs).toISOString().replace("T", " ").replace("Z", " UTC") : "–";

  function render(state) {
    $("store").textContent = state.store;
    const t = state.totals;
    $("t-queued").textContent = number(t.queued);
    $("t-running").textContent = number(t.running);
    $("t-workers").textContent = number(t.workers);
    $("t-dead").textContent = number(t.deadLetters);
    $("t-submitted").textContent = number(t.submitted);
    $("t-completed").textContent = number(t.completed);
    $("t-failed").textContent = number(t.failed);
    $("t-run").textContent = t.runMs === null || t.runMs === undefined ? "–" : ms(t.runMs);
    $("t-latency").textContent = t.latencyP50Ms === null ? "–" : `${ms(t.latencyP50Ms)} / ${ms(t.latencyP99Ms)}`;
    $("t-latency").title = `${number(t.latencySamples)} sampled tasks finished in the last minute`;

    history.push(t);
    if (history.length > keep) history.shift();
    chart("chart-depth", [
      { points: history.map((h) => h.queued), className: "k1" },
      { points: history.map((h) => h.running), className: "k2" },
    ]);
    // The whole cluster's, as the store counts them: every second of the last five minutes.
    const rates = state.series;
    // From the first second with work (at least the last minute), up to the last five minutes.
    const busy = rates.submitted.findIndex((v, i) => v || rates.completed[i] || rates.failed[i]);
    const from = Math.max(0, Math.min(busy < 0 ? rates.submitted.length : busy, rates.submitted.length - 60));
    chart("chart-rate", [
      { points: rates.submitted.slice(from), className: "k1" },
      { points: rates.completed.slice(from), className: "k2" },
      { points: rates.failed.slice(from), className: "k3" },
    ], rates.submitted.length - from);
    // The last minute's sums, for people who read the page's data (and its tests).
    const minute = (series) => series.slice(-60).reduce((a, b) => a + b, 0);
    $("chart-rate").dataset.submitted = String(minute(rates.submitted));
    $("chart-rate").dataset.completed = String(minute(rates.completed));
    $("chart-rate").dataset.failed = String(minute(rates.failed));

    fill("queues", state.queues, "queues-empty", (row, q) => {
      row.dataset.name = q.name;
      if (q.queue) row.dataset.queue = q.queue;
      cell(row, q.queue ? q.name + " (queue " + q.queue + ")" : q.name, "name");
      cell(row, number(q.queued), "n depth");
      cell(row, number(q["in"]), "n in");
      cell(row, number(q.out), "n out");
      cell(row, q.runMs === undefined || q.runMs === null ? "–" : ms(q.runMs), "n run");
      cell(row, number(q.change), "n change");
      const served = cell(row, q.waiting ? (q.noListener ? "no listener" : "no live worker") : "yes", q.waiting ? "served warn" : "served");
      if (q.waiting) served.title = q.noListener ? "Workers handle this name, but none listens to its queue: its tasks wait." : "No live worker handles this name: its tasks wait.";
    });
    fill("workers", state.workers, "workers-empty", (row, w) => {
      row.dataset.id = w.id;
      cell(row, w.host);
      cell(row, String(w.pid), "n");
      cell(row, w.version || "–", "version");
      cell(row, number(w.running), "n");
      cell(row, `${number(w.threadsBusy)}/${number(w.threads)}`, "n threads").appendChild(meter(w.threadsBusy, w.threads));
      cell(row, `${number(w.coroutinesBusy)}/${number(w.coroutines)}`, "n coroutines").appendChild(meter(w.coroutinesBusy, w.coroutines));
      const stale = w.heartbeatAgeMs > state.staleAfterMs;
      const beat = cell(row, `${(w.heartbeatAgeMs / 1000).toFixed(1)} s ago`, stale ? "n beat warn" : "n beat");
      if (stale) {
        beat.title = "No heartbeat for a while: the worker may be gone (its tasks go back to their queues when its lease runs out).";
        row.classList.add("stale");
      }
      cell(row, w.tasks, "wrap");
      cell(row, w.id, "id");
    });
    fill("failures", state.failureTypes, "failures-empty", (row, f) => {
      row.dataset.type = f.type;
      cell(row, f.type, "name");
      cell(row, number(f.recent), "n recent");
      cell(row, number(f.count), "n letters");
      cell(row, f.example, "wrap");
    });
    fill("schedules", state.schedules || [], "schedules-empty", (row, s) => {
      row.dataset.id = s.id;
      cell(row, s.id, "id");
      cell(row, s.timeZone ? `${s.cron} (${s.timeZone})` : s.cron, "cron");
      cell(row, s.task, "name");
      cell(row, s.next > 0 ? utc(s.next) : "–", "next");
      cell(row, s.last ? utc(s.last) : "–", "last");
      cell(row, s.lastTaskId || "–", "id");
    });
    fill("dead", state.deadLetters, "dead-empty", (row, d) => {
      row.dataset.id = d.id;
      const id = cell(row, d.id, "id");
      id.title = "Look this task up";
      id.addEventListener("click", () => { $("lookup-id").value = d.id; lookup(d.id); });
      cell(row, d.name, "name");
      cell(row, String(d.attempt), "n");
      cell(row, d.reason);
      cell(row, d.errors.map((e) => `#${e.attempt} ${e.type}: ${e.message}`).join("\n"), "wrap errors");
      cell(row, `${d.args} (${number(d.argsBytes)} bytes)`, "wrap");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "requeue";
      button.textContent = "Requeue";
      button.addEventListener("click", () => act(`actions/requeue?id=${encodeURIComponent(d.id)}`, `Requeue task ${d.id} (${d.name})? It runs again with fresh counters.`));
      row.insertCell().appendChild(button);
    });
    const names = [...new Set(state.deadLetters.map((d) => d.name))].sort();
    const buttons = document.createDocumentFragment();
    for (const name of names) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "requeue-name";
      button.dataset.name = name;
      button.textContent = `Requeue every ${name}`;
      button.addEventListener("click", () => act(`actions/requeue-name?name=${encodeURIComponent(name)}`, `Requeue every dead letter of ${name}? They run again with fresh counters.`));
      buttons.appendChild(button);
    }
    $("dead-names").replaceChildren(buttons);
    $("dead").hidden = state.deadLetters.length === 0;
    $("purge").hidden = t.deadLetters === 0;
    const more = t.deadLetters - state.deadLetters.length;
    $("dead-more").hidden = more <= 0;
    $("dead-more").textContent = more > 0 ? `and ${number(more)} more (the oldest are shown).` : "";
  }

  function meter(busy, total) {
    // A bar of busy over total; empty when there is no capacity of that kind.
    const bar = document.createElement("span");
    bar.className = "meter";
    const fill = document.createElement("span");
    fill.style.width = `${total > 0 ? Math.min(100, Math.round((busy / total) * 100)) : 0}%`;
    bar.appendChild(fill);
    return bar;
  }

  async function act(url, question) {
    if (!window.confirm(question)) return;
    try {
      const response = await fetch(url, { method: "POST", headers: { "X-Cluster-Csrf": csrf }, credentials: "same-origin" });
      $("message").textContent = (await response.text()).trim();
      $("message").className = response.ok ? "" : "error";
    } catch (e) {
      $("message").textContent = "The coordinator did not answer: " + e.message;
      $("message").className = "error";
    }
  }

  function showTask(task) {
    const facts = document.createDocumentFragment();
    const fact = (label, value, className) => {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      if (className) dd.className = className;
      facts.append(dt, dd);
    };
    fact("Id", task.id, "task-id");
    fact("State", task.state, "task-state");
    if (task.name) fact("Name", task.name);
    fact("Attempt", String(task.attempt));
    if (task.worker) fact("Worker", task.worker, "id");
    fact("Runs failed / lost", `${task.failedRuns} / ${task.lostRuns}`);
    fact("Submitted", time(task.timings.submitted), "task-submitted");
    fact("Finished", time(task.timings.finished), "task-finished");
    if (task.timings.submitted && task.timings.finished) fact("Submit to end", ms(task.timings.finished - task.timings.submitted));
    if (task.reason) fact("Dead-lettered", task.reason);
    if (task.resultBytes !== undefined) fact("Result", `${number(task.resultBytes)} bytes`);
    fact("Arguments", task.argsKept === false ? "not kept once it finished" : `${task.args} (${number(task.argsBytes)} bytes)`, "wrap task-args");
    $("task-facts").replaceChildren(facts);
    fill("task-attempts", task.errors, "task-attempts-empty", (row, e) => {
      cell(row, String(e.attempt), "n");
      cell(row, e.worker || "–", "id");
      cell(row, e.type, "name");
      cell(row, e.message, "wrap");
    });
  }

  async function lookup(id) {
    const message = $("task-message");
    try {
      const response = await fetch(`task?id=${encodeURIComponent(id)}`, { credentials: "same-origin" });
      if (response.ok) {
        showTask(await response.json());
        $("task").hidden = false;
        message.hidden = true;
        return;
      }
      message.textContent = (await response.text()).trim();
    } catch (e) {
      message.textContent = "The coordinator did not answer: " + e.message;
    }
    $("task").hidden = true;
    message.hidden = false;
  }

  $("purge").addEventListener("click", () => act("actions/purge", "Purge every dead letter? This cannot be undone."));
  $("lookup").addEventListener("submit", (e) => { e.preventDefault(); lookup($("lookup-id").value.trim()); });

  const events = new EventSource("events");
  events.onmessage = (e) => {
    render(JSON.parse(e.data));
    $("live").textContent = "live";
    $("live").className = "badge ok";
  };
  events.onerror = () => {
    $("live").textContent = "reconnecting…";
    $("live").className = "badge warn";
  };
})();
