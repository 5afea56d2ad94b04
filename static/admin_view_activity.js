// StockGuard panel — the Activity view: the server renders the latest 50 entries; "Load more"
// pages back through GET /admin/api/activity?before=<oldest id shown>. Text only (textContent).
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  if (!P || !P.view) return;

  function row(entry) {
    const tr = P.el("tr");
    tr.dataset.id = String(entry.id);
    const when = P.el("td", null, "muted");
    const time = P.el("time", P.date(entry.created_at));
    time.dateTime = entry.created_at || "";
    when.appendChild(time);
    tr.appendChild(when);
    tr.appendChild(P.el("td", entry.message));
    return tr;
  }

  function oldest(tbody) {
    const rows = tbody.querySelectorAll("tr[data-id]");
    return rows.length ? rows[rows.length - 1].dataset.id : null;
  }

  async function more(root) {
    const tbody = P.find(root, "activity-table").querySelector("tbody");
    const button = P.find(root, "activity-more");
    const status = P.find(root, "activity-status");
    const before = oldest(tbody);
    if (!before) return;
    button.disabled = true;
    status.textContent = P.t("Loading…");
    try {
      const page = await P.api("GET", "/activity?before=" + encodeURIComponent(before));
      page.entries.forEach(function (entry) {
        tbody.appendChild(row(entry));
      });
      button.hidden = !page.more;
      status.textContent = "";
    } catch (e) {
      status.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  }

  P.view("activity", {
    show: function (arg, root) {
      if (root.dataset.ready) return;
      root.dataset.ready = "1";
      // Server-rendered times in the panel's language and the browser's time zone.
      root.querySelectorAll("time[datetime]").forEach(function (t) {
        t.textContent = P.date(t.getAttribute("datetime"));
      });
      P.find(root, "activity-more").addEventListener("click", function () {
        more(root);
      });
    },
  });
})();
