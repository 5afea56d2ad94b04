// StockGuard panel — the Alerts view: the open alerts (best-sellers first) and the alert
// settings (channels, conditions, thresholds, digest), with a test message. The top of the view
// (#alert-mode-slot) belongs to the alert-mode switch. Every text from the API is set as
// textContent.
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  if (!P || !document.querySelector('meta[name="stockguard-token"]')) return;

  function t(text, vars) {
    if (P.t) return P.t(text, vars);
    return String(text).replace(/\{(\w+)\}/g, function (m, k) {
      return vars && k in vars ? String(vars[k]) : m;
    });
  }
  function when(iso) {
    return P.date ? P.date(iso) : String(iso || "—");
  }
  function num(n, digits) {
    return P.number ? P.number(n, digits) : String(n);
  }
  function set(root, name, text) {
    P.find(root, name).textContent = text;
  }

  // The figures of each condition, in the panel's language (the API also sends an English
  // sentence, used when the condition is one this script doesn't know).
  function describe(a) {
    const d = a.details || {};
    switch (a.condition) {
      case "below_threshold":
        return t("{n} available (alert at {threshold} or fewer).", { n: num(d.available), threshold: num(d.threshold) });
      case "stockout_before_restock":
        return d.next_restock_on
          ? t("Projected to sell out on {date}, before the next restock on {eta}.", { date: when(d.stockout_on), eta: when(d.next_restock_on) })
          : t("Projected to sell out on {date}; no restock is on its way.", { date: when(d.stockout_on) });
      case "restock_overdue":
        return t("{n} units were expected on {date}: {days} days late.", { n: num(d.quantity), date: when(d.expected_on), days: num(d.days_late) });
      case "sales_spike":
        return t("{n} sold in the last {hours} h, {ratio}× the usual pace.", { n: num(d.units), hours: num(d.hours), ratio: num(d.ratio, 1) });
      default:
        return a.message || "";
    }
  }
  function sent(a) {
    if (!a.deliveries.length) return "—";
    return a.deliveries
      .map(function (d) {
        const channel = d.channel === "email" ? t("e-mail") : t("webhook");
        if (d.status === "sent") return channel + " ✓";
        if (d.status === "failed") return channel + " ✗ (" + t("{n} tries", { n: d.attempts }) + ")";
        return channel + " …";
      })
      .join(", ");
  }

  // ------------------------------------------------------------------ the list

  function renderList(root, data) {
    const body = P.find(root, "alerts-table").querySelector("tbody");
    body.replaceChildren();
    data.alerts.forEach(function (a) {
      const tr = P.el("tr", null, a.cleared_at ? "muted" : "");
      tr.setAttribute("data-test", "alert-row");
      tr.setAttribute("data-condition", a.condition);
      const title = t(a.title) + (a.cleared_at ? " — " + t("cleared {date}", { date: when(a.cleared_at) }) : "");
      [a.sku, a.name || "", title, describe(a), when(a.opened_at), sent(a)].forEach(function (text) {
        tr.appendChild(P.el("td", text));
      });
      body.appendChild(tr);
    });
    if (!data.alerts.length) P.emptyRow(body, 6, t("No alerts: every SKU is fine."));
    set(root, "alerts-status", data.open ? t("{n} open", { n: num(data.open) }) : "");
  }

  async function loadList(root) {
    try {
      renderList(root, await P.api("GET", "/alerts"));
    } catch (e) {
      set(root, "alerts-status", e.message);
    }
  }

  // ------------------------------------------------------------------ settings

  function form(root) {
    return P.find(root, "alerts-settings-form");
  }
  function clearErrors(root) {
    form(root).querySelectorAll("[data-error-for]").forEach(function (p) {
      p.textContent = "";
    });
  }
  function fill(root, s) {
    const f = form(root);
    f.elements.email_recipients.value = s.email_recipients.join(", ");
    f.elements.webhook_url.value = s.webhook_url || "";
    f.querySelectorAll("[data-condition]").forEach(function (box) {
      box.checked = !!s.conditions[box.getAttribute("data-condition")];
    });
    f.elements.threshold_units.value = s.threshold_units;
    f.elements.spike_factor.value = s.spike_factor;
    f.elements.spike_window_hours.value = s.spike_window_hours;
    f.elements.instant.checked = !!s.instant;
    const digest = f.elements.digest;
    if (!Array.prototype.some.call(digest.options, function (o) { return o.value === s.digest; })) {
      const option = P.el("option", t("Daily at {time} UTC", { time: s.digest }));
      option.value = s.digest;
      digest.appendChild(option);
    }
    digest.value = s.digest;
  }
  function read(root) {
    const f = form(root);
    const conditions = {};
    f.querySelectorAll("[data-condition]").forEach(function (box) {
      conditions[box.getAttribute("data-condition")] = box.checked;
    });
    function value(name) {
      const v = f.elements[name].value.trim();
      return v === "" || isNaN(Number(v)) ? v : Number(v);
    }
    return {
      email_recipients: f.elements.email_recipients.value,
      webhook_url: f.elements.webhook_url.value.trim(),
      conditions: conditions,
      threshold_units: value("threshold_units"),
      spike_factor: value("spike_factor"),
      spike_window_hours: value("spike_window_hours"),
      instant: f.elements.instant.checked,
      digest: f.elements.digest.value,
    };
  }
  function showError(root, e) {
    const field = (e.data && e.data.field) || "";
    const target = form(root).querySelector('[data-error-for="' + field + '"]') || P.find(root, "alerts-settings-error");
    target.textContent = e.message;
  }

  async function loadSettings(root) {
    try {
      fill(root, await P.api("GET", "/alerts/settings"));
    } catch (e) {
      showError(root, e);
    }
  }

  async function save(root) {
    clearErrors(root);
    set(root, "alerts-settings-status", t("Saving…"));
    try {
      fill(root, await P.api("PUT", "/alerts/settings", read(root)));
      set(root, "alerts-settings-status", t("Saved."));
    } catch (e) {
      set(root, "alerts-settings-status", t("Nothing was saved."));
      showError(root, e);
    }
  }

  async function sendTest(root) {
    const list = P.find(root, "alerts-test-results");
    list.replaceChildren();
    clearErrors(root);
    set(root, "alerts-settings-status", t("Sending a test alert…"));
    try {
      const answer = await P.api("POST", "/alerts/test");
      set(root, "alerts-settings-status", answer.ok ? t("Test alert sent.") : t("Some channels failed."));
      answer.results.forEach(function (r) {
        const channel = r.channel === "email" ? t("e-mail") : t("webhook");
        const li = P.el("li", r.ok ? t("{channel}: sent", { channel: channel }) : t("{channel}: failed — {error}", { channel: channel, error: r.error }));
        li.setAttribute("data-test", "alerts-test-" + r.channel);
        list.appendChild(li);
      });
    } catch (e) {
      set(root, "alerts-settings-status", "");
      showError(root, e);
    }
  }

  function setUp(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    form(root).addEventListener("submit", function (event) {
      event.preventDefault();
      save(root);
    });
    P.find(root, "alerts-test").addEventListener("click", function () {
      sendTest(root);
    });
  }

  function show(arg, root) {
    root = root || document.querySelector('[data-view="alerts"]');
    setUp(root);
    loadList(root);
    loadSettings(root);
  }

  if (P.view) {
    P.view("alerts", { show: show });
  } else {
    const root = document.querySelector('[data-view="alerts"]');
    if (root) {
      root.hidden = false;
      show(null, root);
    }
  }
})();
