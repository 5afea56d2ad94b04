// StockGuard panel — one product (`#/product/<id>`): its stock figures, a chart of the last 90
// days of end-of-day stock and the next 30 days forecast (static/admin_chart.js) with a text
// summary, its listings per store with what shoppers see, open restocks and the ads selling it
// (GET /admin/api/products/<id>). Every text from the API is set as textContent.
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  if (!P || !P.view) return;

  const STATES = {
    in_stock: "In stock",
    low_stock: "Low stock",
    out_of_stock: "Sold out",
    preorder: "Pre-order",
  };
  let asked = 0;

  function t(text, vars) {
    return P.t(text, vars);
  }
  function set(root, name, text) {
    P.find(root, name).textContent = text;
  }
  // Narrow screens stack each row: every cell carries its column's name (admin.css).
  function row(tbody, cells) {
    const heads = tbody.parentNode.querySelectorAll("thead th");
    const tr = P.el("tr");
    cells.forEach(function (c, i) {
      const td = c instanceof Node ? P.el("td") : P.el("td", c);
      if (c instanceof Node) td.appendChild(c);
      if (heads[i]) td.dataset.label = heads[i].textContent;
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  }
  function days(n) {
    return n === null || n === undefined ? "—" : t("{n} days", { n: P.number(n, 1) });
  }

  function summary(data) {
    const history = data.history;
    const parts = [];
    if (history.length) {
      const low = history.reduce(function (m, h) { return h.on_hand < m.on_hand ? h : m; }, history[0]);
      parts.push(t("On hand today: {now} units; {then} units 90 days ago; lowest {low} on {day}.", {
        now: P.number(history[history.length - 1].on_hand),
        then: P.number(history[0].on_hand),
        low: P.number(low.on_hand),
        day: P.date(low.date),
      }));
      const sold = history.reduce(function (s, h) { return s + (h.sold || 0); }, 0);
      parts.push(t("{n} units sold over the 90 days.", { n: P.number(sold) }));
    }
    const fc = data.forecast;
    if (!fc) {
      parts.push(t("No forecast yet: it is computed every night."));
    } else {
      parts.push(t("Forecast: {v} units a day.", { v: P.number(fc.velocity, 1) }));
      parts.push(fc.stockout_on
        ? t("Projected to run out on {date}.", { date: P.date(fc.stockout_on) })
        : t("Not projected to run out within the forecast's horizon."));
      if (fc.line.length) {
        parts.push(t("In 30 days: {n} units.", { n: P.number(fc.line[fc.line.length - 1].on_hand) }));
      }
      parts.push(t("Reorder point: {n} units.", { n: P.number(fc.reorder_point) }));
    }
    return parts.join(" ");
  }

  function render(root, data) {
    const fc = data.forecast;
    set(root, "product-name", data.name || data.sku || t("(no name)"));
    set(root, "product-code", t("SKU {sku}", { sku: data.sku || "—" }) + (data.barcode ? " · " + t("barcode {code}", { code: data.barcode }) : ""));
    set(root, "product-available", P.number(data.available));
    set(root, "product-on-hand", P.number(data.on_hand));
    set(root, "product-committed", P.number(data.committed));
    set(root, "product-cover", fc ? days(fc.days_of_cover) : "—");
    set(root, "product-stockout", fc && fc.stockout_on ? P.date(fc.stockout_on) : "—");
    set(root, "product-reorder", fc ? P.number(fc.reorder_point) : "—");
    set(root, "product-order", fc ? P.number(fc.order_quantity) : "—");
    set(root, "product-abc", fc ? fc.abc : "—");

    const title = t("Stock of {sku}", { sku: data.sku || data.name || "" });
    const chart = window.StockGuardChart;
    const box = P.find(root, "product-chart");
    if (chart) {
      chart.draw(box, {
        history: data.history,
        forecast: fc ? fc.line : [],
        reorderPoint: fc ? fc.reorder_point : null,
        stockoutOn: fc ? fc.stockout_on : null,
        lang: P.lang,
        title: title,
      });
    }
    set(root, "chart-summary", summary(data));

    const listings = P.find(root, "product-listings").querySelector("tbody");
    listings.replaceChildren();
    data.listings.forEach(function (l) {
      const v = l.visibility;
      let seen = v.state ? t(STATES[v.state] || v.state) : "—";
      if (v.eta) seen += " · " + t("back around {date}", { date: P.date(v.eta) });
      if (v.hidden_by_us) seen += " · " + t("hidden by StockGuard");
      const title = l.url ? P.el("a", l.title || "—") : P.el("span", l.title || "—");
      if (l.url && /^https?:\/\//.test(l.url)) {
        title.href = l.url;
        title.target = "_blank";
        title.rel = "noopener";
      }
      row(listings, [l.store, title, l.quantity === null ? "—" : P.number(l.quantity), P.el("span", t(l.status), "pill pill-" + l.status), seen]);
    });
    if (!data.listings.length) P.emptyRow(listings, 5, t("Not on any store yet."));

    const restocks = P.find(root, "product-restocks").querySelector("tbody");
    restocks.replaceChildren();
    data.restocks.forEach(function (r) {
      const when = P.el("span", P.date(r.expected_on));
      const cell = P.el("span");
      cell.appendChild(when);
      if (r.overdue) cell.appendChild(P.el("span", t("late"), "pill pill-late"));
      row(restocks, [cell, P.number(r.quantity), r.supplier || "—", r.reference || "—"]);
    });
    if (!data.restocks.length) P.emptyRow(restocks, 4, t("No restock on its way."));

    const ads = P.find(root, "product-ads").querySelector("tbody");
    ads.replaceChildren();
    data.ads.forEach(function (a) {
      const status = P.el("span");
      status.appendChild(P.el("span", t(a.status), "ad-status-" + a.status));
      if (a.paused_by_stockguard) status.appendChild(P.el("span", t("paused by StockGuard"), "pill pill-ours"));
      if (a.gone) status.appendChild(P.el("span", t("deleted on the platform"), "pill pill-gone"));
      row(ads, [a.platform, a.name || "—", status]);
    });
    if (!data.ads.length) P.emptyRow(ads, 3, t("No ad is linked to this product."));
  }

  async function show(arg, root) {
    const mine = ++asked;
    // A product belongs to the Products part of the panel.
    const nav = document.querySelector('[data-nav="products"]');
    if (nav) nav.setAttribute("aria-current", "page");
    const body = P.find(root, "product-body");
    const id = /^\d+$/.test(arg || "") ? arg : null;
    if (!id) {
      body.hidden = true;
      set(root, "product-status", t("Choose a product in the list."));
      return;
    }
    set(root, "product-status", t("Loading…"));
    try {
      const data = await P.api("GET", "/products/" + id);
      if (mine !== asked) return;
      // Shown and filled in one go (no paint in between): nothing moves under the reader, and
      // the chart can measure its box.
      body.hidden = false;
      render(root, data);
      set(root, "product-status", "");
    } catch (e) {
      if (mine !== asked) return;
      body.hidden = true;
      set(root, "product-status", e.message);
    }
  }

  function hide(root) {
    asked++;
  }

  P.view("product", { show: show, hide: hide });
})();
