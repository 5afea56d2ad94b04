// StockGuard panel — the Products view: every SKU of the pool, 50 a page, with filter tabs
// (all / at risk / sold out / not on any store), a debounced search on SKU code and name, and a
// pager (GET /admin/api/products). `#/products/<filter>` opens a tab; each row links to
// `#/product/<id>`. Every text from the API is set as textContent.
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  if (!P || !P.view) return;

  const FILTERS = ["all", "at_risk", "sold_out", "unlinked"];
  const PER_PAGE = 50;
  const DEBOUNCE_MS = 250;
  const state = { filter: "all", q: "", page: 1, pages: 1 };
  let timer = null;
  let asked = 0; // only the answer to the latest request is shown

  function t(text, vars) {
    return P.t(text, vars);
  }

  function flags(row) {
    const cell = P.el("td", null, "sg-flags");
    if (row.flags.sold_out) cell.appendChild(P.el("span", t("Sold out"), "pill pill-out"));
    else if (row.flags.at_risk) cell.appendChild(P.el("span", t("At risk"), "pill pill-risk"));
    if (row.flags.unlinked) cell.appendChild(P.el("span", t("Not on any store"), "pill pill-unlinked"));
    if (row.bundle) cell.appendChild(P.el("span", t("Bundle"), "pill"));
    return cell;
  }

  // Narrow screens stack each row: every cell carries its column's name (admin.css).
  function headings(table) {
    return Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent;
    });
  }
  function label(tr, heads) {
    Array.prototype.forEach.call(tr.children, function (td, i) {
      if (heads[i]) td.dataset.label = heads[i];
    });
  }

  function render(root, data) {
    state.page = data.page;
    state.pages = data.pages;
    const table = P.find(root, "products-table");
    const heads = headings(table);
    const body = table.querySelector("tbody");
    body.replaceChildren();
    data.products.forEach(function (row) {
      const tr = P.el("tr");
      tr.dataset.sku = row.sku || "";
      const code = P.el("td");
      const link = P.el("a", row.sku || t("(no SKU)"));
      link.href = "#/product/" + encodeURIComponent(row.id);
      code.appendChild(link);
      tr.appendChild(code);
      tr.appendChild(P.el("td", row.name || ""));
      tr.appendChild(P.el("td", P.number(row.available)));
      tr.appendChild(P.el("td", P.number(row.on_hand)));
      tr.appendChild(P.el("td", row.days_of_cover === null ? "—" : t("{n} days", { n: P.number(row.days_of_cover, 1) })));
      tr.appendChild(P.el("td", row.stockout_on ? P.date(row.stockout_on) : "—"));
      tr.appendChild(P.el("td", row.abc || "—"));
      tr.appendChild(P.el("td", P.number(row.channels)));
      tr.appendChild(flags(row));
      label(tr, heads);
      body.appendChild(tr);
    });
    if (!data.products.length) {
      P.emptyRow(body, 9, data.q ? t("No product matches “{q}”.", { q: data.q }) : t("No product here."));
    }
    const counted = data.total === 1 ? "Page {page} of {pages} · {total} product" : "Page {page} of {pages} · {total} products";
    P.find(root, "products-page").textContent = t(counted, {
      page: P.number(data.page),
      pages: P.number(data.pages),
      total: P.number(data.total),
    });
    P.find(root, "products-prev").disabled = data.page <= 1;
    P.find(root, "products-next").disabled = data.page >= data.pages;
  }

  async function load(root) {
    const mine = ++asked;
    const query = "?filter=" + encodeURIComponent(state.filter) + "&q=" + encodeURIComponent(state.q) +
      "&page=" + state.page + "&per_page=" + PER_PAGE;
    P.find(root, "products-status").textContent = "";
    root.setAttribute("aria-busy", "true");
    try {
      const data = await P.api("GET", "/products" + query);
      if (mine === asked) render(root, data);
    } catch (e) {
      if (mine === asked) P.find(root, "products-status").textContent = e.message;
    } finally {
      if (mine === asked) root.removeAttribute("aria-busy");
    }
  }

  function markTabs(root) {
    root.querySelectorAll("[data-filter]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.filter === state.filter ? "true" : "false");
    });
  }

  function setUp(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    root.querySelectorAll("[data-filter]").forEach(function (b) {
      b.addEventListener("click", function () {
        // The address follows the tab, so a reload or a shared link opens it again.
        P.go("#/products/" + b.dataset.filter);
      });
    });
    const box = P.find(root, "products-q");
    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        const q = box.value.trim();
        if (q === state.q) return;
        state.q = q;
        state.page = 1;
        load(root);
      }, DEBOUNCE_MS);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      clearTimeout(timer);
      state.q = box.value.trim();
      state.page = 1;
      load(root);
    });
    P.find(root, "products-prev").addEventListener("click", function () {
      if (state.page > 1) {
        state.page -= 1;
        load(root);
      }
    });
    P.find(root, "products-next").addEventListener("click", function () {
      if (state.page < state.pages) {
        state.page += 1;
        load(root);
      }
    });
  }

  function show(arg, root) {
    setUp(root);
    const filter = FILTERS.indexOf(arg) >= 0 ? arg : "all";
    if (filter !== state.filter) state.page = 1;
    state.filter = filter;
    markTabs(root);
    load(root);
  }

  P.view("products", { show: show });
})();
