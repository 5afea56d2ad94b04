// StockGuard panel — the Reports view: stock value, turnover, cash tied up, best-sellers and
// slow movers for a period, and "Your data" (CSV downloads, cost import). Money is formatted
// with Intl in the pool's currency. Every text from the API is set as textContent.
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  const meta = document.querySelector('meta[name="stockguard-token"]');
  if (!P || !meta) return;

  // The shell's translation and language when it has them (panel contract), else English.
  function t(text, vars) {
    if (P.t) return P.t(text, vars);
    return String(text).replace(/\{(\w+)\}/g, function (m, k) {
      return vars && k in vars ? String(vars[k]) : m;
    });
  }
  function lang() {
    return P.lang || document.documentElement.lang || "en";
  }

  let money = { currency: null, exponent: 2 };

  function formatMoney(minor) {
    if (minor === null || minor === undefined) return "—";
    const value = minor / Math.pow(10, money.exponent);
    if (money.currency) {
      try {
        return new Intl.NumberFormat(lang(), { style: "currency", currency: money.currency }).format(value);
      } catch (e) {
        /* an unknown code: plain number below */
      }
    }
    return new Intl.NumberFormat(lang(), { minimumFractionDigits: money.exponent, maximumFractionDigits: money.exponent }).format(value);
  }
  function formatNumber(n, digits) {
    if (n === null || n === undefined) return "—";
    return new Intl.NumberFormat(lang(), { maximumFractionDigits: digits || 0 }).format(n);
  }

  function set(root, name, text) {
    P.find(root, name).textContent = text;
  }
  function row(tbody, cells) {
    const tr = P.el("tr");
    cells.forEach(function (c) {
      tr.appendChild(P.el("td", c));
    });
    tbody.appendChild(tr);
  }

  // ------------------------------------------------------------------ reports

  function render(root, data) {
    money = { currency: data.currency, exponent: data.exponent };
    const stock = data.stock_value;
    set(root, "stock-value", formatMoney(stock.value_minor));
    set(root, "stock-value-detail", t("{units} units in {skus} SKUs with a cost", { units: formatNumber(stock.units), skus: formatNumber(stock.skus) }));
    set(root, "stock-without-cost", stock.skus_without_cost ? t("{skus} SKUs holding {units} units have no cost yet: import costs below.", { skus: formatNumber(stock.skus_without_cost), units: formatNumber(stock.units_without_cost) }) : "");

    const turn = data.turnover;
    set(root, "turnover", turn.units_sold || turn.cogs_minor ? formatNumber(turn.turnover_annual, 2) + " × / " + t("year") : "—");
    set(root, "turnover-detail", turn.basis === "cost"
      ? t("Cost of goods sold {cogs} over {days} days; average stock at cost {avg}.", { cogs: formatMoney(turn.cogs_minor), days: turn.period_days, avg: formatMoney(turn.average_stock_value_minor) })
      : t("In units (no SKU has a cost): {units} sold over {days} days; {avg} units held on average.", { units: formatNumber(turn.units_sold), days: turn.period_days, avg: formatNumber(turn.average_units, 1) }));
    set(root, "days-of-inventory", turn.days_of_inventory === null ? "—" : t("{n} days", { n: formatNumber(turn.days_of_inventory, 1) }));

    const cash = data.cash_tied_up;
    set(root, "cash-total", formatMoney(cash.cash_minor));
    const cashBody = P.find(root, "cash-table").querySelector("tbody");
    cashBody.replaceChildren();
    cash.by_class.forEach(function (c) {
      row(cashBody, [c.abc === "-" ? t("Not ranked yet") : c.abc, formatMoney(c.cash_minor), formatNumber(c.units), formatNumber(c.skus)]);
    });
    if (!cash.by_class.length) P.emptyRow(cashBody, 4, t("No stock on hand."));
    set(root, "cash-slow", t("In slow movers: {cash} ({units} units)", { cash: formatMoney(cash.slow_cash_minor), units: formatNumber(cash.slow_units) }));

    const best = P.find(root, "best-sellers-table").querySelector("tbody");
    best.replaceChildren();
    data.best_sellers.items.forEach(function (i) {
      row(best, [i.sku || "—", i.name || "", formatNumber(i.units), formatMoney(i.price_minor), formatMoney(i.revenue_minor)]);
    });
    if (!data.best_sellers.items.length) P.emptyRow(best, 5, t("No sales in this period."));

    const slow = P.find(root, "slow-movers-table").querySelector("tbody");
    slow.replaceChildren();
    data.slow_movers.items.forEach(function (i) {
      row(slow, [i.sku || "—", i.name || "", formatNumber(i.on_hand), formatNumber(i.sold), i.days_of_cover === null ? t("no sales") : formatNumber(i.days_of_cover), i.cash_minor === null ? t("no cost") : formatMoney(i.cash_minor)]);
    });
    if (!data.slow_movers.items.length) P.emptyRow(slow, 6, t("Nothing is selling too slowly."));
  }

  async function load(root) {
    const period = P.find(root, "reports-period").value;
    set(root, "reports-status", t("Loading…"));
    try {
      render(root, await P.api("GET", "/reports?period=" + encodeURIComponent(period)));
      set(root, "reports-status", "");
    } catch (e) {
      set(root, "reports-status", e.message);
    }
  }

  // ------------------------------------------------------------------ your data

  // The token can't go in a link: fetch with it, then save the Blob under the server's name.
  async function download(root, name) {
    set(root, "export-status", t("Preparing {name}…", { name: name }));
    let response;
    try {
      response = await fetch("/admin/api/export/" + encodeURIComponent(name) + ".csv", { headers: { Authorization: "Bearer " + meta.content } });
    } catch (e) {
      set(root, "export-status", t("StockGuard could not be reached. Check your connection and try again."));
      return;
    }
    if (!response.ok) {
      set(root, "export-status", t("The download failed ({status}).", { status: response.status }));
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    const url = URL.createObjectURL(await response.blob());
    const link = P.el("a");
    link.href = url;
    link.download = match ? match[1] : "stockguard-" + name + ".csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 10000);
    set(root, "export-status", t("Downloaded {file}.", { file: link.download }));
  }

  async function importCosts(root, form) {
    const errors = P.find(root, "costs-errors");
    errors.replaceChildren();
    const file = P.find(root, "costs-file").files[0];
    if (!file) {
      set(root, "costs-status", t("Choose a CSV file first."));
      return;
    }
    const body = new FormData();
    body.append("file", file);
    set(root, "costs-status", t("Importing…"));
    try {
      const result = await P.api("POST", "/import/costs", body);
      set(root, "costs-status", t("Costs imported for {n} SKUs.", { n: formatNumber(result.updated) }));
      form.reset();
      load(root);
    } catch (e) {
      if (e.status === 413) {
        const data = e.data || {};
        set(root, "costs-status", t("Nothing was imported: the file is too large. Import at most {rows} lines ({kb} KB) at a time: split the file and upload each part.",
          { rows: formatNumber(data.max_rows || 2000), kb: Math.floor((data.max_bytes || 524288) / 1024) }));
        return;
      }
      const lines = (e.data && e.data.errors) || [];
      set(root, "costs-status", lines.length ? t("Nothing was imported: {n} problems to fix.", { n: lines.length }) : e.message);
      lines.forEach(function (line) {
        errors.appendChild(P.el("li", line));
      });
    }
  }

  function setUp(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    P.find(root, "reports-period").addEventListener("change", function () {
      load(root);
    });
    root.querySelectorAll("[data-export]").forEach(function (b) {
      b.addEventListener("click", function () {
        download(root, b.dataset.export);
      });
    });
    const form = P.find(root, "costs-form");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      importCosts(root, form);
    });
  }

  function show(arg, root) {
    setUp(root);
    load(root);
  }

  if (P.view) {
    P.view("reports", { show: show });
  } else {
    // Before the panel shell: a page that carries the view shows it at once.
    const root = document.querySelector('[data-view="reports"]');
    if (root) {
      root.hidden = false;
      show(null, root);
    }
  }
})();
