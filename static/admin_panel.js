// StockGuard admin panel: what every card's script shares — the API call (the panel token in
// the Authorization header; errors carry the API's answer) and DOM helpers that only ever set
// textContent (everything from the API may hold markup). Loaded before the cards' scripts.
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
      throw Object.assign(new Error("StockGuard could not be reached. Check your connection and try again."), { data: {} });
    }
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok || data === null) {
      const message = (data && data.error) || "StockGuard answered " + response.status + ". Try again in a moment.";
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

  window.StockGuardPanel = { api: api, el: el, button: button, emptyRow: emptyRow, find: find };
})();
