// StockGuard panel — the alert-mode switch (a crisis): one switch shows a message on every
// storefront of the pool and pauses all linked ads; the same switch ends it. Drawn into
// #alert-mode-slot (the alerts view leaves it empty for this). Registers no view. Every text
// from the API is set as textContent.
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

  function draw(slot) {
    const box = P.el("section", null, "card alert-mode");
    box.setAttribute("data-test", "alert-mode");
    const title = P.el("h1", t("Alert mode"));
    const help = P.el("p", t("For a crisis: shows your message at the top of every storefront page with StockGuard badges and pauses every linked ad. Switching it off removes the message and resumes only the ads StockGuard paused for it, where stock allows."), "muted");

    const label = P.el("label");
    const toggle = P.el("input");
    toggle.type = "checkbox";
    toggle.setAttribute("role", "switch");
    toggle.setAttribute("data-test", "alert-mode-switch");
    const word = P.el("span", t("Alert mode is off"));
    label.append(toggle, " ", word);

    const messageLabel = P.el("label", t("Message for shoppers"));
    messageLabel.style.display = "block";
    const message = P.el("textarea");
    message.rows = 2;
    message.maxLength = 280;
    message.style.display = "block";
    message.style.width = "100%";
    message.setAttribute("data-test", "alert-mode-message");
    messageLabel.appendChild(message);
    const save = P.button(t("Update the message"), function () {
      send(true);
    });
    save.setAttribute("data-test", "alert-mode-save");
    save.style.visibility = "hidden";
    const since = P.el("p", "", "muted");
    // Reserved height: the status line never pushes the view down when it fills.
    since.style.minHeight = "1.4em";
    const status = P.el("p", "");
    status.setAttribute("role", "status");
    status.setAttribute("data-test", "alert-mode-status");
    status.style.minHeight = "1.4em";
    box.append(title, help, label, messageLabel, save, since, status);
    slot.replaceChildren(box);

    let current = { on: false };
    function show(state) {
      current = state;
      toggle.checked = !!state.on;
      toggle.setAttribute("aria-checked", state.on ? "true" : "false");
      word.textContent = state.on ? t("Alert mode is on") : t("Alert mode is off");
      if (state.max_message) message.maxLength = state.max_message;
      if (state.on) message.value = state.message || "";
      // Kept in the layout either way (visibility, not display): nothing below it moves.
      save.style.visibility = state.on ? "" : "hidden";
      since.textContent = state.on && state.since ? t("On since {date}", { date: P.date ? P.date(state.since) : state.since }) : "";
    }

    async function send(on) {
      toggle.disabled = save.disabled = true;
      status.textContent = t("Saving…");
      try {
        const body = on ? { on: true, message: message.value } : { on: false };
        const data = await P.api("PUT", "/alert-mode", body);
        show(data.alert_mode);
        status.textContent = on ? t("Alert mode is on: ads are being paused.") : t("Alert mode is off: ads StockGuard paused for it are being resumed.");
      } catch (e) {
        toggle.checked = !!current.on;
        status.textContent = e.message;
      } finally {
        toggle.disabled = save.disabled = false;
      }
    }

    toggle.addEventListener("change", function () {
      send(toggle.checked);
    });

    P.api("GET", "/alert-mode")
      .then(function (data) {
        show(data.alert_mode);
      })
      .catch(function (e) {
        status.textContent = e.message;
      });
  }

  function fill() {
    const slot = document.getElementById("alert-mode-slot");
    if (!slot || slot.dataset.drawn) return;
    slot.dataset.drawn = "1";
    draw(slot);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fill);
  else fill();
  window.addEventListener("hashchange", fill);
})();
