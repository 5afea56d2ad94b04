// StockGuard admin panel, "Ads": connecting ad accounts (mode, dry run, test, import,
// disconnect). admin_ads_policy.js (the ad policy) and admin_ads_campaigns.js (campaigns, their
// links to SKUs, the ad actions) build on the small hub this file leaves in window.StockGuardAds. No
// dependencies. Everything from the API (account and campaign names, platform errors) may hold
// markup: it reaches the page through textContent only. Credentials go to the API and are never
// shown again: the connect form is emptied once the account is connected.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="stockguard-token"]');
  if (!meta || !document.getElementById("ad-accounts")) return;

  const panel = window.StockGuardPanel;
  const api = panel.api, el = panel.el, button = panel.button, emptyRow = panel.emptyRow, find = panel.find;
  // The shell's translation (panel contract), else English; dates and amounts in its language.
  function t(text, vars) {
    if (panel.t) return panel.t(text, vars);
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return vars && k in vars ? String(vars[k]) : m; });
  }
  const locale = panel.lang === "fr" ? "fr-FR" : "en-GB";
  function moment(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(locale, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  // Amounts come in minor units (cents); the currency says how many digits that is (JPY: none).
  function money(minor, currency) {
    if (minor == null) return "—";
    try {
      const format = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
      return format.format(minor / Math.pow(10, format.resolvedOptions().maximumFractionDigits));
    } catch (e) { // no currency, or one Intl doesn't know
      return (minor / 100).toFixed(2) + (currency ? " " + currency : "");
    }
  }
  // Narrow screens show each row as a block of "Label value" lines (admin.css, .stack).
  function labelCells(tbody) {
    const heads = tbody.parentNode.tHead.rows[0].cells;
    Array.prototype.forEach.call(tbody.rows, function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, i) {
        if (cell.colSpan === 1 && heads[i] && heads[i].textContent) cell.setAttribute("data-label", heads[i].textContent);
      });
    });
  }
  function clearProblems(form, list) {
    if (list) list.textContent = "";
    form.querySelectorAll("[data-error-for]").forEach(function (p) { p.textContent = ""; });
    form.querySelectorAll('[aria-invalid="true"]').forEach(function (i) { i.removeAttribute("aria-invalid"); });
  }
  // A problem about one field is shown under that field and marks it; the rest go to ``list``.
  function showProblem(form, list, field, message) {
    const own = field != null && form.querySelector('[data-error-for="' + CSS.escape(String(field)) + '"]');
    const input = field != null && form.elements[field];
    if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
    if (own && message) own.textContent = message;
    else if (message) list.appendChild(el(list.tagName === "UL" ? "li" : "p", message));
  }
  function showProblems(form, list, error) {
    const errors = (error.data && error.data.errors) || [];
    const byField = errors.filter(function (p) { return p && p.field && p.message; });
    list.appendChild(el(list.tagName === "UL" ? "li" : "p", error.message));
    errors.forEach(function (p) { if (p && p.field) showProblem(form, list, p.field, p.message); });
    const first = (byField[0] || errors[0] || {}).field;
    if (first && form.elements[first] && form.elements[first].focus) form.elements[first].focus();
  }

  const listeners = {};
  const hub = {
    api: api, el: el, button: button, emptyRow: emptyRow, find: find, moment: moment, t: t,
    money: money, labelCells: labelCells, clearProblems: clearProblems, showProblem: showProblem,
    platforms: {}, // platform -> its name ("Meta")
    accounts: {}, // id -> account, as GET /ads last gave it
    totals: null, // {paused, spend_avoided}
    // "overview": accounts reloaded; "objects": campaigns may have changed (import,
    // disconnect); "actions": StockGuard is deciding again (mode, dry run, policy).
    on: function (what, fn) { (listeners[what] = listeners[what] || []).push(fn); },
    emit: function (what) { (listeners[what] || []).forEach(function (fn) { fn(); }); },
    reload: function () { return loadOverview(); },
  };
  window.StockGuardAds = hub;

  // ------------------------------------------------------------------ accounts

  const card = document.getElementById("ad-accounts");
  const accountsBody = find(card, "accounts-table").tBodies[0];
  const accountsStatus = find(card, "accounts-status");
  const accountsError = find(card, "accounts-error");
  const leftPaused = find(card, "left-paused");
  const MODES = [
    ["dry_run", t("Dry run: only show what StockGuard would do")],
    ["approve", t("Ask me to approve each action")],
    ["automatic", t("Automatic")],
  ];
  const MODE_WORDS = { dry_run: t("Dry run"), approve: t("Approve each action"), automatic: t("Automatic") };

  // One action on an account at a time: its buttons are disabled until the answer.
  function act(tr, work) {
    return async function () {
      accountsError.textContent = "";
      accountsStatus.textContent = "";
      tr.querySelectorAll("button, select").forEach(function (b) { b.disabled = true; });
      try {
        await work();
      } catch (e) {
        accountsError.textContent = e.message;
        await loadOverview().catch(function () {}); // the answer may have changed the account (needs reconnect)
      }
      tr.querySelectorAll("button, select").forEach(function (b) { b.disabled = false; });
    };
  }

  function statusCell(a) {
    const td = el("td");
    const words = { active: t("Connected"), needs_reconnect: t("Needs reconnect") };
    td.appendChild(el("span", words[a.status] || a.status, "status-" + a.status));
    td.appendChild(el("div", a.imported_at ? t("Imported {when}", { when: moment(a.imported_at) }) : t("Not imported yet"), "muted"));
    return td;
  }

  // Under the account's row, the whole width: what the platform said, and what to do.
  function reconnectRow(a) {
    const tr = el("tr", null, "reconnect-row");
    tr.setAttribute("data-reconnect", String(a.id));
    const td = el("td");
    td.colSpan = 5;
    const warn = el("div", null, "warning");
    warn.setAttribute("data-test", "needs-reconnect");
    warn.appendChild(el("strong", t("Needs reconnect: ")));
    warn.appendChild(el("span", t("the platform refused StockGuard's token, so its actions on this account wait. Connect the account again below with a fresh token.")));
    if (a.last_error) warn.appendChild(el("div", a.last_error, "last-error"));
    warn.appendChild(button(t("Reconnect…"), function () { prepareReconnect(a); }, "secondary small"));
    td.appendChild(warn);
    tr.appendChild(td);
    return tr;
  }

  function modeCell(tr, a) {
    const td = el("td", null, "mode");
    const until = a.dry_run_until ? new Date(a.dry_run_until) : null;
    const inTrial = a.effective_mode === "dry_run" && until && until > new Date();
    let now = MODE_WORDS[a.effective_mode] || a.effective_mode;
    if (inTrial && a.mode !== "dry_run") now = t("{mode} until {when}, then {next}", { mode: now, when: moment(a.dry_run_until), next: (MODE_WORDS[a.mode] || a.mode).toLowerCase() });
    const strong = el("p", now, "mode-now");
    strong.setAttribute("data-test", "effective-mode");
    td.appendChild(strong);
    const label = el("label", t("Mode") + " ", "inline small-label");
    const select = el("select");
    select.name = "mode";
    MODES.forEach(function (m) {
      const option = el("option", m[1]);
      option.value = m[0];
      select.appendChild(option);
    });
    select.value = a.mode;
    select.addEventListener("change", act(tr, async function () {
      const saved = await api("PATCH", "/ads/accounts/" + a.id, { mode: select.value });
      accountsStatus.textContent = t("“{name}”: {mode}.", { name: saved.account.name, mode: MODE_WORDS[saved.account.mode].toLowerCase() });
      await loadOverview();
      hub.emit("actions");
    }));
    label.appendChild(select);
    td.appendChild(label);
    if (inTrial) {
      td.appendChild(button(t("End dry run now"), act(tr, async function () {
        const saved = await api("PATCH", "/ads/accounts/" + a.id, { end_dry_run: true });
        accountsStatus.textContent = t("Dry run ended for “{name}”: {mode} from now on.", { name: saved.account.name, mode: (MODE_WORDS[saved.account.effective_mode] || saved.account.effective_mode).toLowerCase() });
        await loadOverview();
        hub.emit("actions");
      }), "secondary small"));
    }
    return td;
  }

  function askDisconnect(td, tr, a) {
    td.textContent = "";
    td.appendChild(el("span", t("Disconnect “{name}”? Its links are forgotten; ads StockGuard paused stay paused.", { name: a.name || a.account_ref }) + " "));
    td.appendChild(button(t("Yes, disconnect"), act(tr, async function () {
      const gone = await api("DELETE", "/ads/accounts/" + a.id);
      accountsStatus.textContent = t("Disconnected “{name}”.", { name: a.name || a.account_ref });
      leftPaused.textContent = "";
      leftPaused.hidden = !gone.left_paused.length;
      if (gone.left_paused.length) {
        leftPaused.appendChild(el("p", t("StockGuard had paused these and left them paused. Turn them back on in {platform} if you want them running:", { platform: hub.platforms[a.platform] || a.platform })));
        const list = el("ul");
        gone.left_paused.forEach(function (name) { list.appendChild(el("li", name)); });
        leftPaused.appendChild(list);
      }
      await loadOverview();
      hub.emit("objects");
    })));
    td.appendChild(document.createTextNode(" "));
    td.appendChild(button(t("Keep it"), function () { accountButtons(td, tr, a); }, "secondary small"));
  }

  function accountButtons(td, tr, a) {
    td.textContent = "";
    td.appendChild(button(t("Test connection"), act(tr, async function () {
      const tested = await api("POST", "/ads/accounts/" + a.id + "/test");
      accountsStatus.textContent = t("“{name}” answers: the connection works.", { name: tested.account.name });
      await loadOverview();
    }), "secondary small"));
    td.appendChild(button(t("Import again"), act(tr, async function () {
      const job = await api("POST", "/ads/accounts/" + a.id + "/import");
      watchJob(job.id, t("Import of “{name}”", { name: a.name || a.account_ref }));
    }), "secondary small"));
    td.appendChild(button(t("Disconnect"), function () { askDisconnect(td, tr, a); }, "secondary small"));
  }

  function accountRow(a) {
    const tr = el("tr");
    tr.setAttribute("data-account", String(a.id));
    const name = el("td");
    name.appendChild(el("strong", a.name || a.account_ref, "account-name"));
    name.appendChild(el("div", a.account_ref + (a.currency ? " · " + a.currency : ""), "muted"));
    tr.appendChild(name);
    tr.appendChild(el("td", hub.platforms[a.platform] || a.platform));
    tr.appendChild(statusCell(a));
    tr.appendChild(modeCell(tr, a));
    const actions = el("td", null, "actions account-actions");
    accountButtons(actions, tr, a);
    tr.appendChild(actions);
    return tr;
  }

  function renderAccounts(list) {
    accountsBody.textContent = "";
    if (!list.length) emptyRow(accountsBody, 5, t("No ad account connected yet."));
    list.forEach(function (a) {
      accountsBody.appendChild(accountRow(a));
      if (a.status === "needs_reconnect") accountsBody.appendChild(reconnectRow(a));
    });
    labelCells(accountsBody);
  }

  // ------------------------------------------------------------------ import progress

  const jobBox = find(card, "ads-job");
  const jobBar = jobBox.querySelector(".progress-bar");
  const jobMessage = find(card, "ads-job-message");
  let jobTimer = null;

  function watchJob(id, label) {
    clearTimeout(jobTimer);
    jobBox.hidden = false;
    jobBox.firstElementChild.classList.remove("failed");
    jobMessage.textContent = label + ": " + t("waiting to start");
    async function tick() {
      let job;
      try {
        job = await api("GET", "/jobs/" + id);
      } catch (e) {
        jobMessage.textContent = label + ": " + t("could not read its progress ({error})", { error: e.message });
        return;
      }
      const running = job.status === "queued" || job.status === "running";
      const pct = job.status === "done" ? 100 : job.total ? Math.round((job.done * 100) / job.total) : (running ? 5 : 0);
      jobBar.style.width = Math.min(100, pct) + "%";
      jobBox.firstElementChild.setAttribute("aria-valuenow", String(pct));
      const words = {
        queued: t("waiting to start"),
        running: t("{count} campaigns, ad sets and ads read so far", { count: job.done }),
        done: t("done") + (job.message ? ": " + job.message : ""),
        failed: t("failed") + (job.message ? ": " + job.message : ""),
      };
      jobMessage.textContent = label + ": " + (words[job.status] || job.status);
      if (running) {
        jobTimer = setTimeout(tick, 1000);
        return;
      }
      if (job.status === "failed") jobBox.firstElementChild.classList.add("failed");
      await loadOverview().catch(function (e) { accountsError.textContent = e.message; });
      hub.emit("objects");
    }
    tick();
  }

  // ------------------------------------------------------------------ connect form

  const connectForm = document.getElementById("ad-connect-form");
  const platformSelect = connectForm.elements.platform;
  const fieldsBox = find(connectForm, "ad-fields");
  const connectErrors = find(connectForm, "connect-errors");
  let platformList = [];

  function renderFields() {
    fieldsBox.textContent = "";
    const platform = platformList.find(function (p) { return p.platform === platformSelect.value; });
    (platform ? platform.fields : []).forEach(function (f) {
      const box = el("div", null, "field");
      const id = "ad-field-" + f.name;
      const label = el("label", f.label + (f.required ? "" : " " + t("(optional)")));
      label.htmlFor = id;
      const input = el("input");
      input.id = id;
      input.name = f.name;
      input.type = f.secret ? "password" : "text";
      input.autocomplete = f.secret ? "new-password" : "off";
      input.spellcheck = false;
      input.required = !!f.required;
      const error = el("p", null, "field-error");
      error.setAttribute("data-error-for", f.name);
      error.id = id + "-error";
      box.appendChild(label);
      box.appendChild(input);
      const described = [error.id];
      if (f.help) { // where the merchant finds the value
        const help = el("p", f.help, "muted field-help");
        help.id = id + "-help";
        described.push(help.id);
        box.appendChild(help);
      }
      input.setAttribute("aria-describedby", described.join(" "));
      box.appendChild(error);
      fieldsBox.appendChild(box);
    });
  }

  function fillPlatforms(list) {
    const known = platformList.map(function (p) { return p.platform; }).join();
    platformList = list;
    if (known === list.map(function (p) { return p.platform; }).join()) return; // keep what is typed
    platformSelect.textContent = "";
    list.forEach(function (p) {
      const option = el("option", p.name);
      option.value = p.platform;
      platformSelect.appendChild(option);
    });
    renderFields();
  }
  platformSelect.addEventListener("change", function () {
    clearProblems(connectForm, connectErrors);
    renderFields();
  });

  // Reconnecting is connecting again: the form, set to the account's platform.
  function prepareReconnect(a) {
    if (platformSelect.value !== a.platform) {
      platformSelect.value = a.platform;
      renderFields();
    }
    connectForm.scrollIntoView({ block: "center" });
    const first = fieldsBox.querySelector("input");
    if (first) first.focus();
  }

  connectForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clearProblems(connectForm, connectErrors);
    accountsStatus.textContent = "";
    const submit = connectForm.querySelector('button[type="submit"]');
    const body = { platform: platformSelect.value };
    fieldsBox.querySelectorAll("input").forEach(function (input) { body[input.name] = input.value.trim(); });
    submit.disabled = true;
    try {
      const answer = await api("POST", "/ads/accounts", body);
      fieldsBox.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      const name = answer.account.name || answer.account.account_ref;
      accountsStatus.textContent = t("Connected “{name}”.", { name: name });
      await loadOverview();
      watchJob(answer.job.id, t("Import of “{name}”", { name: name }));
    } catch (e) {
      showProblems(connectForm, connectErrors, e);
    }
    submit.disabled = false;
  });

  // ------------------------------------------------------------------ start

  async function loadOverview() {
    const data = await api("GET", "/ads");
    hub.platforms = {};
    data.platforms.forEach(function (p) { hub.platforms[p.platform] = p.name; });
    hub.accounts = {};
    data.accounts.forEach(function (a) { hub.accounts[a.id] = a; });
    fillPlatforms(data.platforms);
    renderAccounts(data.accounts);
    hub.totals = { paused: data.paused_by_stockguard, spend_avoided: data.spend_avoided };
    hub.emit("overview");
    return data;
  }

  // The first answer, for the policy form (admin_ads_policy.js): later reloads leave the form
  // alone, so they never wipe what the merchant is typing.
  hub.ready = loadOverview();
  hub.ready.catch(function (e) {
    accountsBody.textContent = "";
    emptyRow(accountsBody, 5, "—");
    accountsError.textContent = t("Could not load the ad accounts: {error}", { error: e.message });
  });
})();
