// StockGuard admin panel: job progress, catalog actions, listings to resolve. No dependencies.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="stockguard-token"]');
  if (!meta) return;
  var token = meta.content;
  // The panel shell's translation (static/admin_panel.js, loaded first), English without it.
  var P = window.StockGuardPanel;
  function t(text, vars) { return P && P.t ? P.t(text, vars) : text; }

  function api(method, path, body) {
    return fetch("/admin/api" + path, {
      method: method,
      headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error(data.error || r.status);
        return data;
      });
    });
  }

  var card = document.getElementById("catalog");
  var bar = card.querySelector(".progress-bar");
  // A job's status, as the API names it, in the panel's words (else as it comes).
  var STATUSES = { queued: t("queued"), running: t("running"), done: t("done"), failed: t("failed") };
  var message = card.querySelector('[data-test="job-message"]');

  function watch(jobId) {
    if (!jobId) return;
    api("GET", "/jobs/" + jobId).then(function (job) {
      var pct = job.total ? Math.round((job.done * 100) / job.total) : (job.status === "done" ? 100 : 5);
      bar.style.width = pct + "%";
      var label = job.kind.charAt(0).toUpperCase() + job.kind.slice(1);
      message.textContent = label + ": " + (STATUSES[job.status] || job.status) + (job.message ? " — " + job.message : "");
      if (job.status === "queued" || job.status === "running") setTimeout(function () { watch(jobId); }, 1000);
      else loadResolve();
    }).catch(function (e) { message.textContent = t("Could not read progress: {error}", { error: e.message }); });
  }

  card.addEventListener("click", function (ev) {
    var action = ev.target.getAttribute("data-action");
    if (!action) return;
    api("POST", "/" + action).then(function (job) { watch(job.id); })
      .catch(function (e) { message.textContent = e.message; });
  });

  var tbody = document.querySelector('#to-resolve tbody');
  function cell(text) { var td = document.createElement("td"); td.textContent = text == null ? "" : String(text); return td; }
  function button(label, handler) {
    var b = document.createElement("button");
    b.type = "button"; b.className = "button"; b.textContent = label;
    b.addEventListener("click", handler);
    return b;
  }
  function resolve(id, body) {
    api("POST", "/listings/" + id + "/resolve", body).then(loadResolve)
      .catch(function (e) { alert(e.message); });
  }
  function row(listing) {
    var tr = document.createElement("tr");
    tr.appendChild(cell(listing.title));
    tr.appendChild(cell(listing.sku || listing.barcode || "—"));
    tr.appendChild(cell(listing.status));
    tr.appendChild(cell(listing.note));
    var actions = document.createElement("td");
    actions.appendChild(button(t("Link to SKU…"), function () {
      var sku = prompt(t("Link to which SKU?"));
      if (sku) resolve(listing.id, { action: "link", sku: sku });
    }));
    actions.appendChild(button(t("Create SKU"), function () {
      var sku = prompt(t("SKU to create"), listing.sku || "");
      if (sku) resolve(listing.id, { action: "create", sku: sku });
    }));
    actions.appendChild(button(t("Ignore"), function () { resolve(listing.id, { action: "ignore" }); }));
    tr.appendChild(actions);
    return tr;
  }
  function loadResolve() {
    Promise.all([api("GET", "/listings?status=unmatched"), api("GET", "/listings?status=conflict")])
      .then(function (pages) {
        tbody.textContent = "";
        var all = pages[0].listings.concat(pages[1].listings);
        if (!all.length) { var tr = document.createElement("tr"); tr.appendChild(cell(t("Nothing to resolve."))); tbody.appendChild(tr); }
        all.forEach(function (l) { tbody.appendChild(row(l)); });
      });
  }

  watch(card.getAttribute("data-job"));
  loadResolve();
})();
