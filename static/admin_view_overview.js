// StockGuard panel — the Overview view: SKUs at risk, sold out, ads paused by StockGuard, ad
// spend avoided and stock value at cost (GET /admin/api/overview), with the at-risk
// best-sellers linking to their product page. Every text from the API is set as textContent.
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  if (!P || !P.view) return;

  function set(root, name, text) {
    P.find(root, name).textContent = text;
  }

  // Spend avoided is kept per currency (ad accounts may bill in different ones): the biggest
  // first (the API's order), the others under it.
  function spend(root, amounts) {
    const shown = (amounts || []).map(function (a) {
      return P.money(a.amount_minor, a.currency, a.exponent);
    });
    set(root, "overview-spend-avoided", shown.length ? shown[0] : P.number(0));
    set(root, "overview-spend-more", shown.length > 1 ? t("and {amounts}", { amounts: shown.slice(1).join(" · ") }) : "");
  }
  function t(text, vars) {
    return P.t(text, vars);
  }

  function productLink(row) {
    const a = P.el("a", row.sku || t("(no SKU)"));
    a.href = "#/product/" + encodeURIComponent(row.id);
    return a;
  }

  function render(root, data) {
    set(root, "overview-at-risk", P.number(data.at_risk));
    set(root, "overview-sold-out", P.number(data.sold_out));
    set(root, "overview-skus", t("of {n} SKUs", { n: P.number(data.skus) }));
    set(root, "overview-ads-paused", P.number(data.ads_paused));
    spend(root, data.spend_avoided);
    set(root, "overview-stock-value", P.money(data.stock_value_minor, data.currency, data.exponent));
    set(root, "overview-without-cost", data.skus_without_cost ? t("{n} SKUs with stock have no cost", { n: P.number(data.skus_without_cost) }) : "");

    const table = P.find(root, "overview-top");
    const heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent;
    });
    const body = table.querySelector("tbody");
    body.replaceChildren();
    data.top_at_risk.forEach(function (row) {
      const tr = P.el("tr");
      const sku = P.el("td");
      sku.appendChild(productLink(row));
      tr.appendChild(sku);
      tr.appendChild(P.el("td", row.name || ""));
      tr.appendChild(P.el("td", P.number(row.available)));
      tr.appendChild(P.el("td", row.days_of_cover === null ? "—" : t("{n} days", { n: P.number(row.days_of_cover, 1) })));
      tr.appendChild(P.el("td", row.stockout_on ? P.date(row.stockout_on) : "—"));
      tr.appendChild(P.el("td", row.abc || "—"));
      // Narrow screens stack each row: every cell carries its column's name (admin.css).
      Array.prototype.forEach.call(tr.children, function (td, i) {
        td.dataset.label = heads[i] || "";
      });
      body.appendChild(tr);
    });
    if (!data.top_at_risk.length) P.emptyRow(body, 6, t("No SKU is at risk. Nothing to reorder now."));
  }

  async function show(arg, root) {
    set(root, "overview-status", t("Loading…"));
    try {
      render(root, await P.api("GET", "/overview"));
      set(root, "overview-status", "");
    } catch (e) {
      set(root, "overview-status", e.message);
    }
  }

  P.view("overview", { show: show });
})();
