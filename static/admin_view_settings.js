// StockGuard panel — the Settings view: the store's stock kept back (channel buffer, pool
// safety buffer, last-units sharing, settle time), the location that feeds the pool and the
// panel's language, from GET/PUT /admin/api/settings; and "disconnect this store" (POST
// /admin/api/store/disconnect). Every API text is set as textContent.
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  if (!P || !P.view) return;

  let loaded = null; // the settings as last read, to send only what changed

  function fields(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name][data-scope]"));
  }
  function clearErrors(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (p) {
      p.textContent = "";
    });
    form.querySelectorAll("[aria-invalid]").forEach(function (i) {
      i.removeAttribute("aria-invalid");
    });
  }
  // The API names the field in its message ("safety_buffer must be a number from 0 to 100000"):
  // shown under that field when one matches, else under the form.
  function showError(form, message) {
    const names = fields(form).map(function (i) { return i.name; }).concat(["location_ref", "panel_language"]);
    const name = names.find(function (n) { return String(message).indexOf(n) === 0; });
    const slot = form.querySelector('[data-error-for="' + (name || "") + '"]');
    slot.textContent = message;
    if (name) {
      const input = form.elements[name];
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }
  }

  function fill(form, data) {
    loaded = data;
    fields(form).forEach(function (input) {
      const source = input.dataset.scope === "store" ? data.store : data.pool;
      const value = source ? source[input.name] : null;
      input.value = value === null || value === undefined ? "" : String(value);
    });
    const select = form.elements.location_ref;
    select.replaceChildren();
    (data.locations || []).forEach(function (loc) {
      const option = P.el("option", loc.name || loc.ref);
      option.value = loc.ref;
      select.appendChild(option);
    });
    if (!data.locations || !data.locations.length) {
      const none = P.el("option", P.t("No location found"));
      none.value = "";
      select.appendChild(none);
    }
    select.value = data.location_ref || "";
    form.elements.panel_language.value = (data.pool && data.pool.panel_language) || "";
  }

  async function load(root, form) {
    const status = P.find(root, "store-settings-status");
    clearErrors(form);
    status.textContent = P.t("Loading…");
    try {
      fill(form, await P.api("GET", "/settings"));
      status.textContent = "";
    } catch (e) {
      status.textContent = "";
      showError(form, e.message);
    }
  }

  function changes(form) {
    const body = {};
    fields(form).forEach(function (input) {
      if (input.value.trim() === "") return; // empty: leave as it is
      const source = input.dataset.scope === "store" ? loaded.store : loaded.pool;
      const value = Number(input.value);
      // Sent as typed when it isn't a number: the API's error says what is expected.
      const sent = isNaN(value) ? input.value : value;
      if (!source || source[input.name] !== sent) body[input.name] = sent;
    });
    const location = form.elements.location_ref.value;
    if (location && location !== loaded.location_ref) body.location_ref = location;
    const language = form.elements.panel_language.value || null;
    if (language !== ((loaded.pool && loaded.pool.panel_language) || null)) body.panel_language = language;
    return body;
  }

  async function save(root, form) {
    const status = P.find(root, "store-settings-status");
    clearErrors(form);
    if (!loaded) {
      load(root, form); // the settings never arrived: read them again before saving anything
      return;
    }
    const body = changes(form);
    if (!Object.keys(body).length) {
      status.textContent = P.t("Nothing to save.");
      return;
    }
    status.textContent = P.t("Saving…");
    try {
      const before = (loaded.pool && loaded.pool.panel_language) || null;
      fill(form, await P.api("PUT", "/settings", body));
      status.textContent = P.t("Saved.");
      // The panel's own texts are rendered in its language: a new one needs the page again.
      if ("panel_language" in body && body.panel_language !== before) location.reload();
    } catch (e) {
      status.textContent = "";
      showError(form, e.message);
    }
  }

  // Disconnecting asks first; what is left for the merchant to do on the platform (delete the
  // key there) comes back in the answer, in the panel's language, and stays on screen.
  async function disconnect(root, form) {
    const erase = form.elements.erase.checked;
    const question = erase
      ? P.t("Disconnect this store from StockGuard and erase its listings and activity? This cannot be undone.")
      : P.t("Disconnect this store from StockGuard?");
    if (!window.confirm(question)) return;
    const status = P.find(root, "store-disconnect-status");
    const steps = P.find(root, "store-disconnect-steps");
    const error = P.find(root, "store-disconnect-error");
    error.textContent = "";
    status.textContent = P.t("Disconnecting…");
    try {
      const answer = await P.api("POST", "/store/disconnect", { erase: erase, locale: P.lang });
      status.textContent = P.t("Disconnected.");
      form.querySelector('[data-test="store-disconnect"]').disabled = true;
      if (answer.steps) {
        steps.textContent = answer.steps;
        steps.hidden = false;
      }
    } catch (e) {
      status.textContent = "";
      error.textContent = e.message;
      if (e.data && e.data.steps) {
        steps.textContent = e.data.steps;
        steps.hidden = false;
      }
    }
  }

  function setUp(root) {
    const form = root.querySelector("#store-settings-form");
    if (!root.dataset.ready) {
      root.dataset.ready = "1";
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        save(root, form);
      });
      const out = root.querySelector("#store-disconnect-form");
      out.addEventListener("submit", function (event) {
        event.preventDefault();
        disconnect(root, out);
      });
    }
    return form;
  }

  P.view("settings", {
    show: function (arg, root) {
      load(root, setUp(root));
    },
  });
})();
