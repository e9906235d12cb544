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

  function line(points, max, className) {
    if (points.length < 2) return "";
    // The chart spans what the page has seen, at least a minute, at most the last five.
    const step = 300 / (Math.max(60, points.length) - 1);
    const start = 300 - (points.length - 1) * step;
    const coords = points.map((v, i) => `${(start + i * step).toFixed(1)},${(78 - (v / max) * 74).toFixed(1)}`).join(" ");
    return `<polyline class="${className}" points="${coords}" />`;
  }

  function chart(id, series) {
    const max = Math.max(1, ...series.flatMap((s) => s.points));
    const svg = $(id);
    // Only numbers go into this markup.
    svg.innerHTML = series.map((s) => line(s.points, max, s.className)).join("") +
      `<text x="2" y="10" class="axis">${number(max)}</text>`;
  }

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
    $("t-run").textContent = t.runMs ? number(t.runMs) + " ms" : "–";

    history.push(t);
    if (history.length > keep) history.shift();
    chart("chart-depth", [
      { points: history.map((h) => h.queued), className: "k1" },
      { points: history.map((h) => h.running), className: "k2" },
    ]);
    chart("chart-rate", [
      { points: history.map((h) => h.submitted), className: "k1" },
      { points: history.map((h) => h.completed), className: "k2" },
      { points: history.map((h) => h.failed), className: "k3" },
    ]);

    fill("queues", state.queues, "queues-empty", (row, q) => {
      row.dataset.name = q.name;
      cell(row, q.name, "name");
      cell(row, number(q.queued), "n depth");
      cell(row, number(q["in"]), "n");
      cell(row, number(q.out), "n");
      cell(row, number(q.change), "n");
      const served = cell(row, q.waiting ? "no live worker" : "yes", q.waiting ? "warn" : "");
      if (q.waiting) served.title = "No live worker handles this name: its tasks wait.";
    });
    fill("workers", state.workers, "workers-empty", (row, w) => {
      cell(row, w.host);
      cell(row, String(w.pid), "n");
      cell(row, number(w.running), "n");
      cell(row, number(w.threads), "n");
      cell(row, number(w.coroutines), "n");
      const stale = w.heartbeatAgeMs > state.staleAfterMs;
      const beat = cell(row, `${(w.heartbeatAgeMs / 1000).toFixed(1)} s ago`, stale ? "n warn" : "n");
      if (stale) {
        beat.title = "No heartbeat for a while: the worker may be gone (its tasks go back to their queues when its lease runs out).";
        row.classList.add("stale");
      }
      cell(row, w.tasks, "wrap");
      cell(row, w.id, "id");
    });
    fill("failures", state.failureTypes, "failures-empty", (row, f) => {
      cell(row, f.type, "name");
      cell(row, number(f.count), "n");
      cell(row, f.example, "wrap");
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
      button.addEventListener("click", () => act(`/actions/requeue?id=${encodeURIComponent(d.id)}`, `Requeue task ${d.id} (${d.name})? It runs again with fresh counters.`));
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
      button.addEventListener("click", () => act(`/actions/requeue-name?name=${encodeURIComponent(name)}`, `Requeue every dead letter of ${name}? They run again with fresh counters.`));
      buttons.appendChild(button);
    }
    $("dead-names").replaceChildren(buttons);
    $("dead").hidden = state.deadLetters.length === 0;
    $("purge").hidden = t.deadLetters === 0;
    const more = t.deadLetters - state.deadLetters.length;
    $("dead-more").hidden = more <= 0;
    $("dead-more").textContent = more > 0 ? `and ${number(more)} more (the oldest are shown).` : "";
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

  async function lookup(id) {
    const out = $("task");
    try {
      const response = await fetch(`/task?id=${encodeURIComponent(id)}`, { credentials: "same-origin" });
      out.textContent = response.ok ? JSON.stringify(await response.json(), null, 2) : (await response.text()).trim();
    } catch (e) {
      out.textContent = "The coordinator did not answer: " + e.message;
    }
    out.hidden = false;
  }

  $("purge").addEventListener("click", () => act("/actions/purge", "Purge every dead letter? This cannot be undone."));
  $("lookup").addEventListener("submit", (e) => { e.preventDefault(); lookup($("lookup-id").value.trim()); });

  const events = new EventSource("/events");
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
