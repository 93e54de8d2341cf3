// The admin dashboard: the key is asked once and kept in sessionStorage (gone when the tab closes).
"use strict";
(function () {
  const STORE = "makeit3d.adminKey";
  const $ = (sel) => document.querySelector(sel);
  const key = () => sessionStorage.getItem(STORE);

  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + key() } });
    if (r.status === 401 || r.status === 403) {
      sessionStorage.removeItem(STORE);
      throw new Error("that key is not an admin key");
    }
    if (!r.ok) {
      let msg = r.status + " " + r.statusText;
      try { msg = (await r.json()).error.message; } catch (e) { /* not JSON */ }
      throw new Error(msg);
    }
    return r;
  }

  function money(cents) { return "$" + (cents / 100).toLocaleString(undefined, { maximumFractionDigits: 0 }); }

  function tile(label, value) {
    const d = document.createElement("div");
    d.className = "tile";
    const b = document.createElement("b");
    b.textContent = value;
    const s = document.createElement("span");
    s.textContent = label;
    d.append(b, s);
    return d;
  }

  async function loadOverview() {
    const body = await (await api("/v1/stats/overview")).json();
    const o = body.data;
    $("#snapshot").textContent = "snapshot " + body.snapshot.version;
    $("#tiles").replaceChildren(
      tile("users", o.total_users.toLocaleString()),
      tile("generations", o.generations.toLocaleString()),
      tile("failed generations", o.generations_failed.toLocaleString()),
      tile("gross sales", money(o.gross_sales_cents)),
      tile("net revenue", money(o.net_revenue_cents)),
      tile("AI cost", "$" + (o.ai_cost_nano_usd / 1e9).toFixed(2)),
      tile("credits outstanding", o.credits_outstanding.toLocaleString()),
    );
  }

  async function loadChart(fig) {
    const name = fig.dataset.chart;
    try {
      const blob = await (await api("/dashboard/charts/" + name)).blob();
      const img = new Image();
      img.alt = name + " chart";
      img.dataset.chart = name;
      await new Promise((ok, fail) => {
        img.onload = ok;
        img.onerror = () => fail(new Error("chart " + name + " did not render"));
        img.src = URL.createObjectURL(blob);
      });
      fig.replaceChildren(img);
      fig.dataset.loaded = "true";
    } catch (e) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = name + ": " + e.message;
      fig.replaceChildren(p);
      fig.dataset.loaded = "error";
      throw e;
    }
  }

  async function loadRecent() {
    const body = await (await api("/v1/stats/generations/recent?limit=15")).json();
    const rows = body.data.map((e) => {
      const tr = document.createElement("tr");
      for (const v of [String(e.occurred_at).replace("T", " ").slice(0, 19), e.event_type, e.subject_id, e.detail]) {
        const td = document.createElement("td");
        td.textContent = v == null ? "" : String(v);
        tr.append(td);
      }
      return tr;
    });
    $("#recent tbody").replaceChildren(...rows);
    $("#recent").dataset.loaded = "true";
  }

  async function show() {
    $("#login").hidden = true;
    $("#dash").hidden = false;
    $("#logout").hidden = false;
    const jobs = [loadOverview(), loadRecent(), ...Array.from(document.querySelectorAll("figure[data-chart]"), loadChart)];
    const results = await Promise.allSettled(jobs);
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length && !key()) return ask(failed[0].reason.message);
    document.body.dataset.ready = failed.length ? "partial" : "true";
  }

  function ask(message) {
    $("#dash").hidden = true;
    $("#logout").hidden = true;
    $("#login").hidden = false;
    $("#login-error").textContent = message || "";
    $("#key").focus();
  }

  $("#login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(STORE, $("#key").value.trim());
    $("#key").value = "";
    show();
  });
  $("#logout").addEventListener("click", () => { sessionStorage.removeItem(STORE); ask(""); });

  if (key()) show(); else ask("");
})();
