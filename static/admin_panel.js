// StockGuard admin panel: what every card's script shares — the API call (the panel token in
// the Authorization header; errors carry the API's answer) and DOM helpers that only ever set
// textContent (everything from the API may hold markup) — and the shell: views registered by
// name and routed by hash (#/<name>/<arg>), translation (t) and Intl formatting in the panel's
// language. Loaded before the views' and cards' scripts.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="stockguard-token"]');
  if (!meta) return;
  const token = meta.content;

  // Errors carry the API's answer: {error} always, {errors: [...]} for restocks, {field} for
  // settings. A body that isn't JSON (a proxy's error page) still gives a readable message.
  async function api(method, path, body) {
    const init = { method: method, headers: { Authorization: "Bearer " + token } };
    if (body instanceof FormData) {
      init.body = body; // the browser sets the multipart boundary
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch("/admin/api" + path, init);
    } catch (e) {
      throw Object.assign(new Error(t("StockGuard could not be reached. Check your connection and try again.")), { data: {} });
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok || data === null) {
      const message = (data && data.error) || t("StockGuard answered {status}. Try again in a moment.", { status: response.status });
      throw Object.assign(new Error(message), { data: data || {}, status: response.status });
    }
    return data;
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text != null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function button(label, handler, className) {
    const b = el("button", label, "button" + (className ? " " + className : ""));
    b.type = "button";
    b.addEventListener("click", handler);
    return b;
  }
  function emptyRow(tbody, columns, text) {
    const td = el("td", text, "muted");
    td.colSpan = columns;
    const tr = el("tr");
    tr.appendChild(td);
    tbody.appendChild(tr);
  }
  function find(root, name) {
    return root.querySelector('[data-test="' + name + '"]');
  }

  // ------------------------------------------------------------------ language

  const lang = document.documentElement.lang === "fr" ? "fr" : "en";
  let table = {};
  const i18n = document.getElementById("sg-i18n");
  if (i18n) {
    try {
      table = JSON.parse(i18n.textContent) || {};
    } catch (e) {
      table = {};
    }
  }

  // t(english, {name: value}): the English text is the key; an unknown placeholder stays.
  function t(text, vars) {
    const found = Object.prototype.hasOwnProperty.call(table, text) ? table[text] : text;
    return String(found).replace(/\{(\w+)\}/g, function (m, k) {
      return vars && Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
    });
  }
  function number(n, digits) {
    if (n === null || n === undefined || n === "") return "—";
    return new Intl.NumberFormat(lang, { maximumFractionDigits: digits || 0 }).format(n);
  }
  function money(minor, currency, exponent) {
    if (minor === null || minor === undefined) return "—";
    const exp = exponent === undefined || exponent === null ? 2 : exponent;
    const value = minor / Math.pow(10, exp);
    if (currency) {
      try {
        return new Intl.NumberFormat(lang, { style: "currency", currency: currency, minimumFractionDigits: exp, maximumFractionDigits: exp }).format(value);
      } catch (e) {
        /* an unknown currency code: a plain number below */
      }
    }
    return new Intl.NumberFormat(lang, { minimumFractionDigits: exp, maximumFractionDigits: exp }).format(value);
  }
  // A day ("2026-12-03") is that day wherever the browser is; a moment gets its local time.
  function date(iso) {
    if (!iso) return "—";
    const dayOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
    const when = new Date(dayOnly ? iso + "T00:00:00Z" : iso);
    if (isNaN(when.getTime())) return String(iso);
    const options = dayOnly ? { dateStyle: "medium", timeZone: "UTC" } : { dateStyle: "medium", timeStyle: "short" };
    return new Intl.DateTimeFormat(lang, options).format(when);
  }

  // ------------------------------------------------------------------ views and routing

  const DEFAULT = "overview";
  const views = {}; // name -> {show(arg, root), hide(root)}
  let current = null; // {name, arg, root}

  function section(name) {
    if (!name) return null;
    return Array.prototype.find.call(document.querySelectorAll("section.view[data-view]"), function (s) {
      return s.getAttribute("data-view") === name;
    }) || null;
  }
  function parse(hash) {
    const m = /^#\/([\w-]+)(?:\/(.*))?$/.exec(hash || "");
    if (!m) return null;
    let arg = m[2] === undefined || m[2] === "" ? null : m[2];
    try {
      arg = arg === null ? null : decodeURIComponent(arg);
    } catch (e) {
      /* a malformed escape: the raw text */
    }
    return { name: m[1], arg: arg };
  }
  function call(name, method, arg, root) {
    const handlers = views[name];
    if (!handlers || typeof handlers[method] !== "function") return;
    try {
      if (method === "show") handlers.show(arg, root);
      else handlers.hide(root);
    } catch (e) {
      // One view's failure must not stop the panel; the console keeps it for whoever looks.
      setTimeout(function () { throw e; });
    }
  }
  function markNav(name) {
    document.querySelectorAll("[data-nav]").forEach(function (a) {
      if (a.getAttribute("data-nav") === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
  }
  function route() {
    let target = parse(location.hash);
    // Known nav entries whose view isn't built yet get the "not ready" section; an address
    // that names nothing we know goes to the overview.
    const known = target && (section(target.name) || document.querySelector('[data-nav="' + target.name + '"]'));
    if (!known) {
      target = { name: DEFAULT, arg: null };
      if (location.hash !== "#/" + DEFAULT) history.replaceState(null, "", "#/" + DEFAULT);
    }
    const root = section(target.name) || section("") || document.querySelector('[data-test="view-missing"]');
    if (current && current.name === target.name && current.arg === target.arg) return;
    if (current && current.name !== target.name) {
      call(current.name, "hide", null, current.root);
    }
    document.querySelectorAll("section.view[data-view]").forEach(function (s) {
      s.hidden = s !== root;
    });
    current = { name: target.name, arg: target.arg, root: root };
    markNav(target.name);
    if (root && root.getAttribute("data-view") === target.name) call(target.name, "show", target.arg, root);
  }

  // view("reports", {show(arg, root), hide(root)}): a view registered after routing (a late
  // script) is shown at once if it is the current one.
  function view(name, handlers) {
    views[name] = handlers || {};
    if (current && current.name === name && current.root && current.root.getAttribute("data-view") === name) {
      call(name, "show", current.arg, current.root);
    }
  }
  function go(hash) {
    const target = String(hash).charAt(0) === "#" ? String(hash) : "#" + hash;
    if (location.hash === target) route();
    else location.hash = target;
  }

  window.addEventListener("hashchange", route);
  // Deferred scripts run in order before DOMContentLoaded: every view has registered by then.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", route);
  else setTimeout(route);

  window.StockGuardPanel = {
    api: api,
    el: el,
    button: button,
    emptyRow: emptyRow,
    find: find,
    view: view,
    go: go,
    t: t,
    lang: lang,
    number: number,
    money: money,
    date: date,
  };
})();
