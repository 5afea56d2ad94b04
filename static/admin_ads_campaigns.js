// StockGuard admin panel, "Ads" (continued): the imported campaigns, ad sets and ads with their
// links to SKUs, and the log of ad actions (approve / reject). Uses the hub admin_ads.js left in
// window.StockGuardAds. Names come from the ad platforms and may hold markup: textContent only.
(function () {
  "use strict";
  const hub = window.StockGuardAds;
  if (!hub || !document.getElementById("ad-objects")) return;
  const api = hub.api, el = hub.el, button = hub.button, find = hub.find, t = hub.t;

  const LEVELS = { campaign: t("Campaign"), ad_set: t("Ad set"), ad: t("Ad") };
  const PAGE = 100; // the API's page size
  const P = window.StockGuardPanel || {};
  function number(n, digits) { return P.number ? P.number(n, digits) : String(n); }

  function pill(text, className, test) {
    const span = el("span", text, "pill " + className);
    if (test) span.setAttribute("data-test", test);
    return span;
  }
  function accountOf(id) {
    return hub.accounts[id] || null;
  }
  function pager(box, page, total, go) {
    box.textContent = "";
    const pages = Math.ceil(total / PAGE);
    if (pages <= 1) return;
    const prev = button(t("Previous"), function () { go(page - 1); }, "secondary small");
    prev.disabled = page <= 1;
    const next = button(t("Next"), function () { go(page + 1); }, "secondary small");
    next.disabled = page >= pages;
    box.appendChild(prev);
    box.appendChild(el("span", " " + t("Page {page} of {pages}", { page: page, pages: pages }) + " "));
    box.appendChild(next);
  }

  // ------------------------------------------------------------------ campaigns and links

  const card = document.getElementById("ad-objects");
  const tbody = find(card, "objects-table").tBodies[0];
  const count = find(card, "objects-count");
  const objectsPager = find(card, "objects-pager");
  const objectsError = find(card, "objects-error");
  const searchForm = document.getElementById("ad-search");
  let query = "";
  let page = 1;
  let last = null; // the last answer: drawn again when the accounts change
  const known = {}; // object id -> object, for the action log (it names objects by id)
  const skuCodes = {}; // SKU id -> code, from the links seen (suggestions give ids)

  async function loadObjects() {
    const params = new URLSearchParams({ page: String(page) });
    if (query) params.set("q", query);
    try {
      last = await api("GET", "/ads/objects?" + params.toString());
      objectsError.textContent = "";
    } catch (e) {
      objectsError.textContent = t("Could not load the campaigns: {error}", { error: e.message });
      return;
    }
    last.objects.forEach(function (o) {
      known[o.id] = o;
      o.links.forEach(function (l) { skuCodes[l.sku_id] = l.sku; });
    });
    renderObjects();
    renderActions();
  }

  async function change(problem, input, work) {
    problem.textContent = "";
    try {
      await work();
      if (input) input.value = "";
      await loadObjects();
      hub.emit("actions");
    } catch (e) {
      if (input) input.setAttribute("aria-invalid", "true");
      problem.textContent = e.message;
    }
  }

  function linksCell(o, suggestion) {
    const td = el("td", null, "links");
    const problem = el("p", null, "form-errors");
    problem.setAttribute("role", "alert");
    const list = el("div", null, "sku-links");
    o.links.forEach(function (l) {
      const chip = el("span", null, "pill pill-linked sku-link");
      chip.setAttribute("data-link", String(l.id));
      chip.appendChild(el("span", l.sku));
      const unlink = button("×", function () {
        change(problem, null, function () { return api("DELETE", "/ads/links/" + l.id); });
      }, "unlink");
      unlink.setAttribute("aria-label", t("Unlink {sku}", { sku: l.sku }));
      unlink.title = t("Unlink {sku}", { sku: l.sku });
      chip.appendChild(unlink);
      list.appendChild(chip);
    });
    if (!o.links.length) list.appendChild(el("span", t("None"), "muted"));
    td.appendChild(list);
    if (suggestion && suggestion.length && !o.gone) {
      const codes = suggestion.map(function (id) { return skuCodes[id] || t("SKU #{id}", { id: id }); });
      const p = el("p", null, "suggestion");
      p.setAttribute("data-test", "suggestion");
      p.appendChild(el("span", t("Suggested: link to {skus}", { skus: codes.join(", ") }) + " "));
      p.title = codes.length > 1 ? t("Its ads lead to the product page of these SKUs.") : t("Its ads lead to the product page of this SKU.");
      p.appendChild(button(t("Link"), function () {
        change(problem, null, function () { return api("POST", "/ads/links", { object_id: o.id, sku_ids: suggestion }); });
      }, "small"));
      td.appendChild(p);
    }
    if (!o.gone) {
      const form = el("form", null, "inline-form link-form");
      const input = el("input");
      input.name = "skus";
      input.autocomplete = "off";
      input.placeholder = t("SKU codes");
      input.title = t("One or more SKU codes, separated by commas");
      input.setAttribute("aria-label", t("SKU codes to link to {name}", { name: o.name || LEVELS[o.level] || o.level }));
      const submit = el("button", t("Link"), "button small");
      submit.type = "submit";
      form.appendChild(input);
      form.appendChild(submit);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        input.removeAttribute("aria-invalid");
        const skus = input.value.split(/[,;\n]/).map(function (s) { return s.trim(); }).filter(Boolean);
        if (!skus.length) {
          input.setAttribute("aria-invalid", "true");
          problem.textContent = t("Type one or more SKU codes, separated by commas.");
          return;
        }
        change(problem, input, function () { return api("POST", "/ads/links", { object_id: o.id, skus: skus }); });
      });
      td.appendChild(form);
    }
    td.appendChild(problem);
    return td;
  }

  // Each campaign followed by its ad sets, each ad set by its ads (those on this page).
  function treeOrder(list) {
    const key = function (o, ref) { return o.account_id + " " + ref; };
    const here = {};
    list.forEach(function (o) { here[key(o, o.ref)] = o; });
    const children = {};
    const roots = [];
    list.forEach(function (o) {
      const parent = o.parent_ref && here[key(o, o.parent_ref)];
      if (parent && parent !== o) (children[parent.id] = children[parent.id] || []).push(o);
      else roots.push(o);
    });
    const out = [];
    (function walk(nodes, depth) {
      nodes.forEach(function (o) {
        out.push([o, depth]);
        if (depth < 3) walk(children[o.id] || [], depth + 1);
      });
    })(roots, 0);
    return out;
  }

  function objectRow(o, suggestion, depth) {
    const account = accountOf(o.account_id);
    const currency = account && account.currency;
    const tr = el("tr", null, o.gone ? "gone" : null);
    tr.setAttribute("data-object", String(o.id));
    const where = el("td", account ? account.name || account.account_ref : t("Account #{id}", { id: o.account_id }));
    if (account) where.appendChild(el("div", hub.platforms[account.platform] || account.platform, "muted"));
    tr.appendChild(where);
    tr.appendChild(el("td", LEVELS[o.level] || o.level, "level level-" + o.level));
    const name = el("td", null, "depth-" + depth);
    name.appendChild(el("span", o.name || t("(no name)"), "object-name"));
    if (o.gone) name.appendChild(pill(t("deleted on the platform"), "pill-gone", "gone"));
    tr.appendChild(name);
    const status = el("td");
    const word = el("span", o.status, "ad-status ad-status-" + o.status);
    if (o.raw_status) word.title = o.raw_status;
    status.appendChild(word);
    if (o.paused_by_stockguard) {
      const mark = el("div");
      mark.appendChild(pill(t("paused by StockGuard"), "pill-ours", "paused-by-stockguard"));
      status.appendChild(mark);
    }
    tr.appendChild(status);
    const budget = el("td", o.daily_budget == null ? "—" : hub.money(o.daily_budget, currency), "budget");
    if (o.budget_lowered_from != null) budget.appendChild(el("div", t("lowered by StockGuard from {amount}", { amount: hub.money(o.budget_lowered_from, currency) }), "muted"));
    tr.appendChild(budget);
    tr.appendChild(linksCell(o, suggestion));
    return tr;
  }

  function renderObjects() {
    if (!last) return;
    const typed = {}; // a redraw keeps the SKU codes being typed
    tbody.querySelectorAll('tr[data-object] input[name="skus"]').forEach(function (input) {
      if (input.value) typed[input.closest("tr").getAttribute("data-object")] = input.value;
    });
    tbody.textContent = "";
    const suggested = {};
    last.suggestions.forEach(function (s) {
      suggested[s.object_id] = s.sku_ids;
      s.sku_ids.forEach(function (id, i) { if (s.skus && s.skus[i]) skuCodes[id] = s.skus[i]; });
    });
    if (!last.objects.length) {
      hub.emptyRow(tbody, 6, query ? t("Nothing is named like “{query}”.", { query: query })
        : Object.keys(hub.accounts).length ? t("Nothing imported yet.") : t("Connect an ad account to see its campaigns here."));
    }
    treeOrder(last.objects).forEach(function (pair) {
      const o = pair[0];
      const row = tbody.appendChild(objectRow(o, suggested[o.id], pair[1]));
      const input = row.querySelector('input[name="skus"]');
      if (input && typed[o.id]) input.value = typed[o.id];
    });
    hub.labelCells(tbody);
    const n = { count: last.total, query: query };
    if (query) count.textContent = last.total === 1 ? t("{count} campaign, ad set or ad named like “{query}”", n) : t("{count} campaigns, ad sets and ads named like “{query}”", n);
    else count.textContent = last.total === 1 ? t("{count} campaign, ad set or ad", n) : t("{count} campaigns, ad sets and ads", n);
    pager(objectsPager, last.page, last.total, function (n) { page = n; loadObjects(); });
  }

  searchForm.addEventListener("submit", function (ev) {
    ev.preventDefault();
    query = searchForm.elements.q.value.trim();
    page = 1;
    loadObjects();
  });
  card.querySelector('[data-action="refresh-objects"]').addEventListener("click", loadObjects);

  // ------------------------------------------------------------------ ad actions

  const actionsCard = document.getElementById("ad-actions");
  const actionsBody = find(actionsCard, "actions-table").tBodies[0];
  const actionsPager = find(actionsCard, "actions-pager");
  const actionsError = find(actionsCard, "actions-error");
  const stateFilter = document.getElementById("ad-actions-state");
  let actions = null;
  let actionsPage = 1;
  // [dry run: "would …", done, otherwise]
  const KIND = {
    pause: [t("Dry run: would pause"), t("Paused"), t("Pause")],
    resume: [t("Dry run: would resume"), t("Resumed"), t("Resume")],
    lower_budget: [t("Dry run: would lower the budget"), t("Lowered the budget"), t("Lower the budget")],
    restore_budget: [t("Dry run: would give the budget back"), t("Gave the budget back"), t("Give the budget back")],
  };
  const STATE = {
    planned: t("dry run"), awaiting_approval: t("waiting for your approval"), queued: t("queued"),
    sending: t("being sent"), done: t("done"), skipped: t("skipped"), failed: t("failed"),
    rejected: t("rejected"), superseded: t("withdrawn"),
  };
  const MODE = { dry_run: t("in dry run"), approve: t("in approve mode"), automatic: t("automatic") };

  function what(a) {
    const words = KIND[a.kind] || [t("Dry run: would {kind}", { kind: a.kind }), a.kind, a.kind];
    if (a.state === "planned") return words[0];
    return a.state === "done" ? words[1] : words[2];
  }
  function stockText(s) {
    let text = t("{sku}: {count} available", { sku: s.sku, count: s.available });
    if (s.days_of_cover != null) text += ", " + t("{days} days of cover", { days: number(Math.round(s.days_of_cover * 10) / 10, 1) });
    if (s.pause_at != null) text += " " + t("(pause at ≤ {pause_at}, resume at ≥ {resume_at})", { pause_at: s.pause_at, resume_at: s.resume_at });
    return text;
  }

  function judge(a, verdict, td) {
    return async function () {
      td.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      try {
        await api("POST", "/ads/actions/" + a.id + "/" + verdict);
        await loadActions();
        hub.reload().catch(function () {});
      } catch (e) {
        actionsError.textContent = e.message;
        await loadActions();
      }
    };
  }

  function actionRow(a) {
    const account = accountOf(a.account_id);
    const currency = account && account.currency;
    const tr = el("tr", null, "state-" + a.state);
    tr.setAttribute("data-action-id", String(a.id));
    const when = el("td", hub.moment(a.created_at), "when");
    if (a.executed_at && a.state === "done") when.title = t("Carried out {when}", { when: hub.moment(a.executed_at) });
    tr.appendChild(when);
    const obj = known[a.object_id] || { name: a.object_name, level: a.object_level };
    const ad = el("td", obj.name || (obj.level ? t("(no name)") : t("Ad object #{id}", { id: a.object_id })), "object-name");
    const about = [obj.level ? LEVELS[obj.level] || obj.level : null, account ? account.name : null].filter(Boolean).join(" · ");
    if (about) ad.appendChild(el("div", about, "muted"));
    tr.appendChild(ad);
    tr.appendChild(el("td", what(a), "what"));
    const state = el("td");
    state.appendChild(pill(STATE[a.state] || a.state, "pill-state-" + a.state, "state"));
    state.appendChild(el("div", MODE[a.mode] || a.mode, "muted"));
    tr.appendChild(state);
    const why = el("td", a.reason, "reason");
    if (a.note) why.appendChild(el("div", a.note, "muted"));
    tr.appendChild(why);
    const stock = el("td", null, "stock");
    (a.stock || []).forEach(function (s) { stock.appendChild(el("div", stockText(s))); });
    tr.appendChild(stock);
    const changed = el("td", null, "change");
    if (a.status_after) changed.appendChild(el("div", (a.status_before || "?") + " → " + a.status_after));
    else if (a.status_before) changed.appendChild(el("div", t("{status} when decided", { status: a.status_before }), "muted"));
    if (a.budget_after != null) changed.appendChild(el("div", t("budget {before} → {after}", { before: hub.money(a.budget_before, currency), after: hub.money(a.budget_after, currency) })));
    tr.appendChild(changed);
    tr.appendChild(el("td", a.spend_avoided == null ? "—" : hub.money(a.spend_avoided, currency), "avoided"));
    const buttons = el("td", null, "actions");
    if (a.state === "awaiting_approval") {
      buttons.appendChild(button(t("Approve"), judge(a, "approve", buttons), "small"));
      buttons.appendChild(button(t("Reject"), judge(a, "reject", buttons), "secondary small"));
    }
    tr.appendChild(buttons);
    return tr;
  }

  function renderActions() {
    if (!actions) return;
    actionsBody.textContent = "";
    if (!actions.actions.length) {
      hub.emptyRow(actionsBody, 9, stateFilter.value ? t("No action in this state.") : t("No ad action yet. Link ads to SKUs: StockGuard acts when their stock runs low."));
    }
    actions.actions.forEach(function (a) { actionsBody.appendChild(actionRow(a)); });
    hub.labelCells(actionsBody);
    pager(actionsPager, actions.page, actions.total, function (n) { actionsPage = n; loadActions(); });
  }

  async function loadActions() {
    const params = new URLSearchParams({ page: String(actionsPage) });
    if (stateFilter.value) params.set("state", stateFilter.value);
    try {
      actions = await api("GET", "/ads/actions?" + params.toString());
    } catch (e) {
      actionsError.textContent = t("Could not load the ad actions: {error}", { error: e.message });
      return;
    }
    actionsError.textContent = "";
    renderActions();
  }

  // What StockGuard holds paused now, and the spend it avoided (GET /ads).
  function renderTotals() {
    const box = find(actionsCard, "ads-totals");
    if (!hub.totals) return;
    box.textContent = "";
    // One total per currency (the merchant's accounts may bill in different ones).
    const sums = hub.totals.spend_avoided || {};
    const parts = Object.keys(sums).filter(function (c) { return sums[c]; }).map(function (c) { return hub.money(sums[c], c || null); });
    const avoided = parts.length ? parts.join(" + ") : t("none yet");
    [[t("Paused by StockGuard now"), hub.totals.paused, "paused-total"], [t("Spend avoided"), avoided, "avoided-total"]].forEach(function (pair) {
      const item = el("span", pair[0] + ": ", "total");
      const value = el("strong", pair[1]);
      value.setAttribute("data-test", pair[2]);
      item.appendChild(value);
      box.appendChild(item);
    });
  }

  // StockGuard decides in the background after a change: look again a little later too.
  let soon = null;
  function watchActions() {
    loadActions();
    clearTimeout(soon);
    soon = setTimeout(function () {
      loadActions();
      loadObjects();
      hub.reload().catch(function () {});
    }, 3000);
  }

  stateFilter.addEventListener("change", function () { actionsPage = 1; loadActions(); });
  actionsCard.querySelector('[data-action="refresh-actions"]').addEventListener("click", function () {
    loadActions();
    loadObjects();
    hub.reload().catch(function () {});
  });

  // ------------------------------------------------------------------ start

  hub.on("overview", function () { renderTotals(); renderObjects(); renderActions(); });
  hub.on("objects", loadObjects);
  hub.on("actions", watchActions);
  renderTotals();
  loadObjects();
  loadActions();
})();
