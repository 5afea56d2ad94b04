// StockGuard admin panel, "Shoppers": restocks and suppliers, notify-me, storefront settings,
// installing the badge. No dependencies. Everything from the API (SKUs, titles, supplier names,
// the merchant's texts) may hold markup: it reaches the page through textContent only.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="stockguard-token"]');
  if (!meta || !document.getElementById("restocks")) return;

  const panel = window.StockGuardPanel;
  const api = panel.api, el = panel.el, button = panel.button, emptyRow = panel.emptyRow, find = panel.find;
  // The shell's translation (panel contract), else English; dates in its language.
  function t(text, vars) {
    if (panel.t) return panel.t(text, vars);
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return vars && k in vars ? String(vars[k]) : m; });
  }
  const locale = panel.lang === "fr" ? "fr-FR" : "en-GB";
  // "3 Dec 2026" from "2026-12-03", as a calendar date (no time zone shift).
  function day(iso) {
    const parts = String(iso || "").split("-").map(Number);
    if (parts.length !== 3 || parts.some(isNaN)) return iso || "";
    return new Date(parts[0], parts[1] - 1, parts[2])
      .toLocaleDateString(locale, { day: "numeric", month: "short", year: "numeric" });
  }
  function moment(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toLocaleString(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  }
  // A whole number if the field holds one, else what was typed, so the API names the problem.
  function whole(value) {
    const text = String(value).trim();
    return /^-?\d+$/.test(text) ? parseInt(text, 10) : text;
  }
  function number(value) {
    const text = String(value).trim();
    return text !== "" && isFinite(Number(text)) ? Number(text) : text;
  }

  // A CSV past the import limits (413): what to do, with the limits the API sent.
  function tooLarge(e) {
    const data = e.data || {};
    return t("Nothing was imported: the file is too large. Import at most {rows} lines ({kb} KB) at a time: split the file and upload each part.",
      { rows: (data.max_rows || 2000).toLocaleString(locale), kb: Math.floor((data.max_bytes || 524288) / 1024) });
  }

  // The words a field's <label> shows ("Expected on"), for messages about it.
  function labelOf(input) {
    const label = input && input.closest && input.closest("label");
    return label ? label.firstChild.textContent.trim() : "";
  }

  // Show the API's problems in a list (or a single message), and mark the fields they name:
  // "expected_on: a date like …" marks that input and reads "Expected on: a date like …".
  function showErrors(form, list, error) {
    list.textContent = "";
    const problems = (error.data && error.data.errors && error.data.errors.length) ? error.data.errors : [error.message];
    problems.forEach(function (problem) {
      const field = /^(\w+): /.exec(problem);
      const input = field && form && form.elements[field[1]];
      let text = problem;
      if (input && input.setAttribute) {
        input.setAttribute("aria-invalid", "true");
        if (labelOf(input)) text = labelOf(input) + problem.slice(field[1].length);
      }
      list.appendChild(el(list.tagName === "UL" ? "li" : "p", text));
    });
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
  function clearErrors(form, list) {
    list.textContent = "";
    if (form) form.querySelectorAll('[aria-invalid="true"]').forEach(function (i) { i.removeAttribute("aria-invalid"); });
  }

  // ------------------------------------------------------------------ suppliers

  const restockCard = document.getElementById("restocks");
  const supplierForm = document.getElementById("supplier-form");
  const supplierErrors = find(restockCard, "supplier-errors");
  const supplierBody = find(restockCard, "suppliers-table").tBodies[0];

  function fillSupplierSelects(suppliers) {
    restockCard.querySelectorAll("select[data-suppliers]").forEach(function (select) {
      const by = select.getAttribute("data-suppliers"); // "name" (restocks) or "id" (SKU plan)
      const keep = select.value;
      while (select.options.length > 1) select.remove(1);
      suppliers.forEach(function (s) {
        const option = el("option", s.name);
        option.value = String(s[by]);
        select.appendChild(option);
      });
      select.value = keep;
      if (select.value !== keep) select.value = "";
    });
  }

  async function loadSuppliers() {
    const data = await api("GET", "/suppliers");
    supplierBody.textContent = "";
    if (!data.suppliers.length) emptyRow(supplierBody, 3, t("No suppliers yet."));
    data.suppliers.forEach(function (s) {
      const tr = el("tr");
      tr.appendChild(el("td", s.name));
      tr.appendChild(el("td", s.lead_time_days === 1 ? t("{count} day", { count: s.lead_time_days }) : t("{count} days", { count: s.lead_time_days })));
      tr.appendChild(el("td", s.email || "—"));
      supplierBody.appendChild(tr);
    });
    labelCells(supplierBody);
    fillSupplierSelects(data.suppliers);
  }

  supplierForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clearErrors(supplierForm, supplierErrors);
    const f = supplierForm.elements;
    const body = { name: f.name.value.trim() };
    if (f.lead_time_days.value.trim() !== "") body.lead_time_days = whole(f.lead_time_days.value);
    body.email = f.email.value.trim() || null;
    try {
      await api("POST", "/suppliers", body);
      supplierForm.reset();
      await loadSuppliers();
    } catch (e) {
      showErrors(supplierForm, supplierErrors, e);
    }
  });

  // ------------------------------------------------------------------ restocks

  const restockBody = find(restockCard, "restocks-table").tBodies[0];
  const restockStatus = find(restockCard, "restocks-status");

  function restockActions(td, restock) {
    td.textContent = "";
    td.appendChild(button(t("Received"), function () { askReceived(td, restock); }));
    td.appendChild(document.createTextNode(" "));
    td.appendChild(button(t("Cancel"), function () { askCancel(td, restock); }, "secondary"));
  }

  // Asked in the row itself: the quantity that actually arrived, the expected one by default.
  function askReceived(td, restock) {
    td.textContent = "";
    const form = el("form", null, "inline-form");
    const label = el("label", t("Units received") + " ");
    const input = el("input");
    input.type = "number"; input.min = "1"; input.step = "1"; input.name = "quantity";
    input.value = String(restock.quantity);
    label.appendChild(input);
    const error = el("span", null, "form-errors");
    const confirm = el("button", t("Confirm"), "button");
    confirm.type = "submit";
    form.appendChild(label);
    form.appendChild(confirm);
    form.appendChild(document.createTextNode(" "));
    form.appendChild(button(t("Back"), function () { restockActions(td, restock); }, "secondary"));
    form.appendChild(error);
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      confirm.disabled = true;
      try {
        const done = await api("POST", "/restocks/" + restock.id + "/receive", { quantity: whole(input.value) });
        restockStatus.textContent = t("Received {count} × {sku}.", { count: done.received, sku: done.restock.sku });
        await loadRestocks();
        watchNotify(20000); // units arrived: a notice run starts once availability is refreshed
      } catch (e) {
        confirm.disabled = false;
        input.setAttribute("aria-invalid", "true");
        error.textContent = e.message;
      }
    });
    td.appendChild(form);
    input.focus();
    input.select();
  }

  function askCancel(td, restock) {
    td.textContent = "";
    const error = el("span", null, "form-errors");
    td.appendChild(el("span", t("Cancel this restock?") + " "));
    td.appendChild(button(t("Yes, cancel it"), async function () {
      try {
        await api("POST", "/restocks/" + restock.id + "/cancel");
        restockStatus.textContent = t("Cancelled the restock of {count} × {sku}.", { count: restock.quantity, sku: restock.sku });
        await loadRestocks();
      } catch (e) {
        error.textContent = e.message;
      }
    }));
    td.appendChild(document.createTextNode(" "));
    td.appendChild(button(t("Keep it"), function () { restockActions(td, restock); }, "secondary"));
    td.appendChild(error);
  }

  function restockRow(restock) {
    const tr = el("tr");
    tr.setAttribute("data-restock", String(restock.id));
    tr.appendChild(el("td", restock.sku, "sku"));
    tr.appendChild(el("td", restock.quantity));
    const expected = el("td", day(restock.expected_on));
    if (restock.overdue) {
      expected.appendChild(document.createTextNode(" "));
      const late = el("span", t("late"), "pill pill-late");
      late.title = t("Expected in the past and not received: shoppers are told it is back soon.");
      expected.appendChild(late);
    }
    tr.appendChild(expected);
    tr.appendChild(el("td", restock.supplier || "—"));
    tr.appendChild(el("td", restock.reference || "—"));
    const actions = el("td", null, "actions");
    restockActions(actions, restock);
    tr.appendChild(actions);
    return tr;
  }

  async function loadRestocks() {
    const data = await api("GET", "/restocks?status=open");
    restockBody.textContent = "";
    if (!data.restocks.length) emptyRow(restockBody, 6, t("No restocks on their way."));
    data.restocks.forEach(function (r) { restockBody.appendChild(restockRow(r)); });
    labelCells(restockBody);
  }

  const restockForm = document.getElementById("restock-form");
  const restockErrors = find(restockCard, "restock-errors");
  restockForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clearErrors(restockForm, restockErrors);
    const f = restockForm.elements;
    const body = {
      sku: f.sku.value.trim(),
      quantity: whole(f.quantity.value),
      expected_on: f.expected_on.value,
    };
    if (f.supplier.value) body.supplier = f.supplier.value;
    if (f.reference.value.trim()) body.reference = f.reference.value.trim();
    try {
      const added = await api("POST", "/restocks", body);
      restockStatus.textContent = t("Added: {count} × {sku} expected {date}.", { count: added.quantity, sku: added.sku, date: day(added.expected_on) });
      const supplier = f.supplier.value;
      restockForm.reset();
      f.supplier.value = supplier; // restocks often come in series from one supplier
      await loadRestocks();
    } catch (e) {
      showErrors(restockForm, restockErrors, e);
    }
  });

  const importForm = document.getElementById("restock-import");
  const importErrors = find(restockCard, "import-errors");
  const importResult = find(restockCard, "import-result");
  importForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clearErrors(importForm, importErrors);
    importResult.textContent = "";
    const file = importForm.elements.file.files[0];
    if (!file) {
      importErrors.appendChild(el("p", t("Choose a CSV file first.")));
      return;
    }
    const body = new FormData();
    body.append("file", file, file.name);
    try {
      const result = await api("POST", "/restocks/import", body);
      importResult.textContent = t("{file}: {created} new, {updated} updated.", { file: file.name, created: result.created, updated: result.updated });
      importForm.reset();
      await loadRestocks();
    } catch (e) {
      if (e.status === 413) {
        importErrors.appendChild(el("p", tooLarge(e)));
        return;
      }
      const problems = (e.data && e.data.errors) || [];
      importErrors.appendChild(el("p", problems.length > 1 || /^line \d+:/.test(problems[0] || "")
        ? t("Nothing was imported. Correct these lines and upload the file again:")
        : t("Nothing was imported.")));
      const list = el("ul");
      importErrors.appendChild(list);
      showErrors(null, list, e);
    }
  });

  const planForm = document.getElementById("plan-form");
  const planErrors = find(restockCard, "plan-errors");
  const planResult = find(restockCard, "plan-result");
  planForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clearErrors(planForm, planErrors);
    planResult.textContent = "";
    const f = planForm.elements;
    const sku = f.sku.value.trim();
    if (!sku) {
      f.sku.setAttribute("aria-invalid", "true");
      planErrors.appendChild(el("li", t("sku: required")));
      return;
    }
    const body = {
      supplier_id: f.supplier_id.value ? parseInt(f.supplier_id.value, 10) : null,
      reorder_planned: f.reorder_planned.checked,
    };
    try {
      const plan = await api("PUT", "/skus/" + encodeURIComponent(sku) + "/restock-plan", body);
      const supplier = f.supplier_id.value ? f.supplier_id.options[f.supplier_id.selectedIndex].text : t("no supplier");
      const vars = { sku: plan.sku, supplier: supplier };
      planResult.textContent = plan.reorder_planned ? t("{sku}: {supplier}, reorder planned.", vars) : t("{sku}: {supplier}, no reorder planned.", vars);
    } catch (e) {
      showErrors(planForm, planErrors, e);
    }
  });

  // ------------------------------------------------------------------ notify-me

  const notifyCard = document.getElementById("notify");
  const STATUS_ORDER = ["waiting", "sent", "failed", "unsubscribed"];
  // A sign-up's and a notice run's status, as the API names them, in the panel's words.
  const STATUS_WORDS = { waiting: t("waiting"), sent: t("sent"), failed: t("failed"), unsubscribed: t("unsubscribed") };
  const COUNT_WORDS = {
    waiting: t("{count} waiting"), sent: t("{count} sent"), failed: t("{count} failed"), unsubscribed: t("{count} unsubscribed"),
  };
  const RUN_WORDS = { queued: t("queued"), running: t("running"), done: t("done"), failed: t("failed") };
  let notifyTimer = null;
  let notifyWatchUntil = 0;

  function renderRuns(runs) {
    const box = find(notifyCard, "notify-runs");
    box.textContent = "";
    if (!runs.length) box.appendChild(el("p", t("None yet."), "muted"));
    runs.forEach(function (run) {
      const item = el("div", null, "run");
      item.setAttribute("data-run", String(run.id));
      // total is a budget (units restocked × shoppers per unit), not the shoppers waiting: a run
      // ends when they are all told, or the variant sells out again, often under its total.
      const finished = run.status === "done";
      const count = finished
        ? t("{done} messaged", { done: run.done })
        : t("{done} of up to {total} messaged", { done: run.done, total: run.total });
      const runStatus = RUN_WORDS[run.status] || run.status;
      item.appendChild(el("p", (moment(run.started_at) || t("Waiting to start")) + " · " + runStatus + " · " + count, "run-head"));
      const bar = el("div", null, "progress");
      const fill = el("div", null, "progress-bar");
      const pct = finished ? 100 : (run.total ? Math.round((run.done * 100) / run.total) : 0);
      fill.style.width = Math.min(100, pct) + "%";
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-valuenow", String(pct));
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.appendChild(fill);
      item.appendChild(bar);
      if (run.message) item.appendChild(el("p", run.message, "muted"));
      box.appendChild(item);
    });
  }

  async function loadNotify() {
    clearTimeout(notifyTimer);
    const error = find(notifyCard, "notify-error");
    let data;
    try {
      data = await api("GET", "/notify");
      error.textContent = "";
    } catch (e) {
      error.textContent = t("Could not read the sign-ups: {error}", { error: e.message });
      notifyTimer = setTimeout(loadNotify, 10000);
      return;
    }
    const counts = find(notifyCard, "notify-counts");
    counts.textContent = "";
    const statuses = STATUS_ORDER.concat(Object.keys(data.counts).filter(function (s) { return STATUS_ORDER.indexOf(s) < 0; }));
    statuses.forEach(function (status) {
      const n = data.counts[status] || 0;
      const pill = el("span", COUNT_WORDS[status] ? COUNT_WORDS[status].replace("{count}", n) : n + " " + status, "pill pill-" + status);
      pill.setAttribute("data-count", status);
      counts.appendChild(pill);
      counts.appendChild(document.createTextNode(" "));
    });
    renderRuns(data.runs);
    const tbody = find(notifyCard, "notify-table").tBodies[0];
    tbody.textContent = "";
    if (!data.subscriptions.length) emptyRow(tbody, 4, t("No sign-ups yet."));
    data.subscriptions.forEach(function (s) {
      const tr = el("tr");
      tr.appendChild(el("td", s.contact, "contact"));
      tr.appendChild(el("td", s.variant));
      const status = el("td", STATUS_WORDS[s.status] || s.status);
      if (s.error) status.title = s.error;
      tr.appendChild(status);
      tr.appendChild(el("td", moment(s.created_at)));
      tbody.appendChild(tr);
    });
    labelCells(tbody);
    const busy = data.runs.some(function (r) { return r.status === "queued" || r.status === "running"; });
    if (busy || Date.now() < notifyWatchUntil) notifyTimer = setTimeout(loadNotify, 3000);
  }

  // Refresh for a while even with no run in progress: one may be about to start.
  function watchNotify(ms) {
    notifyWatchUntil = Math.max(notifyWatchUntil, Date.now() + ms);
    loadNotify();
  }

  // ------------------------------------------------------------------ storefront settings

  const settingsForm = document.getElementById("settings-form");
  const builtin = JSON.parse(document.getElementById("builtin-texts").textContent);
  const status = find(settingsForm, "settings-status");
  let texts = {}; // {lang: {key: text}}, the language shown included once stashed
  let language = "en";

  function stashTexts() {
    const current = {};
    settingsForm.querySelectorAll('input[name="text"]').forEach(function (input) {
      if (input.value.trim()) current[input.getAttribute("data-key")] = input.value;
    });
    texts[language] = current;
  }
  function showTexts(lang) {
    language = lang;
    settingsForm.elements.language.value = lang;
    const mine = texts[lang] || {};
    const defaults = builtin[lang] || {};
    settingsForm.querySelectorAll('input[name="text"]').forEach(function (input) {
      const key = input.getAttribute("data-key");
      input.value = mine[key] || "";
      input.placeholder = defaults[key] || "";
      input.lang = lang;
    });
  }
  settingsForm.elements.language.addEventListener("change", function () {
    stashTexts();
    showTexts(settingsForm.elements.language.value);
  });

  function fillSettings(settings, knownOrigins) {
    const f = settingsForm.elements;
    f.low_stock_threshold.value = settings.low_stock_threshold;
    f.show_quantity.checked = !!settings.show_quantity;
    f.notify.checked = !!settings.notify;
    f.notify_factor.value = settings.notify_factor;
    f.alternatives.checked = settings.alternatives !== "off";
    settingsForm.querySelectorAll('input[name="visibility"]').forEach(function (radio) {
      radio.checked = radio.value === settings.visibility;
    });
    f.hide_grace_minutes.value = settings.hide_grace_minutes;
    settingsForm.querySelectorAll('input[name="color"]').forEach(function (input) {
      const color = (settings.colors || {})[input.getAttribute("data-state")];
      if (color) input.value = color;
    });
    texts = JSON.parse(JSON.stringify(settings.texts || {}));
    showTexts(language);
    f.origins.value = (settings.origins || []).join("\n");
    if (knownOrigins) {
      find(settingsForm, "known-origins").textContent = knownOrigins.length
        ? t("Already allowed: {origins}", { origins: knownOrigins.join(", ") })
        : "";
    }
  }

  function clearFieldErrors() {
    settingsForm.querySelectorAll("[data-error-for]").forEach(function (p) { p.textContent = ""; });
    settingsForm.querySelectorAll('[aria-invalid="true"]').forEach(function (i) { i.removeAttribute("aria-invalid"); });
  }

  // The API names one field: "low_stock_threshold", "colors.low_stock", "texts.fr.eta", "origins".
  function showFieldError(field, message) {
    const parts = String(field || "").split(".");
    let input = null;
    if (parts[0] === "texts") {
      if (parts[1] && builtin[parts[1]]) showTexts(parts[1]);
      if (parts[2]) input = settingsForm.querySelector('input[name="text"][data-key="' + CSS.escape(parts[2]) + '"]');
    } else if (parts[0] === "colors" && parts[1]) {
      input = settingsForm.querySelector('input[name="color"][data-state="' + CSS.escape(parts[1]) + '"]');
    } else if (parts[0]) {
      input = settingsForm.elements[parts[0]];
    }
    const own = settingsForm.querySelector('[data-error-for="' + CSS.escape(parts[0]) + '"]');
    const target = own || find(settingsForm, "settings-error");
    // Shown by its field: the message alone, or with the text's or colour's own label.
    const where = own ? (parts.length > 1 ? labelOf(input) || parts.slice(1).join(" ") : "") : parts[0];
    const sentence = message.charAt(0).toUpperCase() + message.slice(1);
    target.textContent = where ? where + ": " + message : sentence;
    if (input && input.setAttribute) {
      input.setAttribute("aria-invalid", "true");
      if (input.focus) input.focus();
    }
  }

  async function loadSettings() {
    const data = await api("GET", "/storefront");
    fillSettings(data.settings, data.origins);
  }

  settingsForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clearFieldErrors();
    status.textContent = "";
    stashTexts();
    const f = settingsForm.elements;
    const colors = {};
    settingsForm.querySelectorAll('input[name="color"]').forEach(function (input) {
      colors[input.getAttribute("data-state")] = input.value;
    });
    const checked = settingsForm.querySelector('input[name="visibility"]:checked');
    const body = {
      low_stock_threshold: whole(f.low_stock_threshold.value),
      show_quantity: f.show_quantity.checked,
      notify: f.notify.checked,
      notify_factor: number(f.notify_factor.value),
      alternatives: f.alternatives.checked ? "product_type" : "off",
      visibility: checked ? checked.value : null,
      hide_grace_minutes: whole(f.hide_grace_minutes.value),
      colors: colors,
      texts: texts,
      origins: f.origins.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean),
    };
    try {
      const saved = await api("PUT", "/storefront", body);
      fillSettings(saved.settings);
      status.textContent = t("Saved. Shoppers see the change within a minute.");
    } catch (e) {
      showFieldError(e.data && e.data.field, e.data && e.data.field ? e.data.error : e.message);
    }
  });

  // ------------------------------------------------------------------ install the badge

  const installCard = document.getElementById("install-badge");
  installCard.addEventListener("click", async function (ev) {
    if (ev.target.getAttribute("data-action") !== "copy-snippet") return;
    const snippet = find(installCard, "badge-snippet");
    const copied = find(installCard, "copy-status");
    try {
      await navigator.clipboard.writeText(snippet.textContent);
      copied.textContent = t("Copied.");
    } catch (e) {
      // The admin's frame may not allow the clipboard: select it for Ctrl+C / ⌘C instead.
      const range = document.createRange();
      range.selectNodeContents(snippet);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      copied.textContent = t("Selected: press Ctrl+C (⌘C on a Mac) to copy.");
    }
  });

  // ------------------------------------------------------------------ start

  function failed(where, list) {
    return function (e) {
      list.textContent = "";
      list.appendChild(el(list.tagName === "UL" ? "li" : "p", t("Could not load {what}: {error}", { what: where, error: e.message })));
    };
  }
  loadSuppliers().catch(failed(t("the suppliers"), supplierErrors));
  loadRestocks().catch(failed(t("the restocks"), restockErrors));
  loadNotify();
  loadSettings().catch(function (e) { find(settingsForm, "settings-error").textContent = t("Could not load the settings: {error}", { error: e.message }); });
})();
