// StockGuard admin panel, "Ads" (continued): the ad policy, the levels at which StockGuard
// pauses, resumes or lowers the budget of the ads linked to a SKU. Uses the hub admin_ads.js
// left in window.StockGuardAds. The API names one bad field ({error, field}): the message is
// shown under that field, in the words of the form.
(function () {
  "use strict";
  const hub = window.StockGuardAds;
  if (!hub || !document.getElementById("ad-policy-form")) return;
  const api = hub.api, find = hub.find, t = hub.t, clearProblems = hub.clearProblems, showProblem = hub.showProblem;

  const policyForm = document.getElementById("ad-policy-form");
  const policyStatus = find(policyForm, "policy-status");
  const policyError = find(policyForm, "policy-error");
  const WHOLE = ["pause_at", "resume_at", "min_pause_minutes"];
  const OPTIONAL = ["low_at", "low_budget_pct"];
  // How the merchant knows the settings the API's messages name ("resume_at must be above …").
  const SHORT = {
    pause_at: t("Pause ads at or below"), resume_at: t("Resume them at or above"),
    min_pause_minutes: t("Keep a paused ad off at least"), low_at: t("Lower the daily budget at or below"),
    low_budget_pct: t("Lower it by"), cover_days: t("Also pause when stock lasts fewer than"),
    combine: t("Ads linked to several SKUs"),
  };
  function inWords(message) {
    const text = String(message).replace(/\b(pause_at|resume_at|min_pause_minutes|low_at|low_budget_pct|cover_days|combine)\b/g, function (key) {
      return t("“{label}”", { label: SHORT[key] });
    });
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  function whole(value) {
    const text = String(value).trim();
    return /^-?\d+$/.test(text) ? parseInt(text, 10) : text;
  }

  function fillPolicy(policy) {
    const f = policyForm.elements;
    WHOLE.concat(OPTIONAL, ["cover_days"]).forEach(function (key) {
      f[key].value = policy[key] == null ? "" : String(policy[key]);
    });
    policyForm.querySelectorAll('input[name="combine"]').forEach(function (radio) {
      radio.checked = radio.value === policy.combine;
    });
  }

  policyForm.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clearProblems(policyForm, null);
    policyStatus.textContent = "";
    const f = policyForm.elements;
    const body = {};
    WHOLE.forEach(function (key) { body[key] = whole(f[key].value); });
    OPTIONAL.forEach(function (key) { body[key] = f[key].value.trim() === "" ? null : whole(f[key].value); });
    const cover = f.cover_days.value.trim();
    body.cover_days = cover === "" ? null : (isFinite(Number(cover)) ? Number(cover) : cover);
    const combine = policyForm.querySelector('input[name="combine"]:checked');
    body.combine = combine ? combine.value : null;
    try {
      const saved = await api("PUT", "/ads/policy", body);
      fillPolicy(saved.policy);
      policyStatus.textContent = t("Saved. StockGuard checks the linked ads against it now.");
      hub.emit("actions");
    } catch (e) {
      const field = e.data && e.data.field;
      if (field && policyForm.querySelector('[data-error-for="' + CSS.escape(field) + '"]')) {
        showProblem(policyForm, null, field, inWords(e.message));
        const input = f[field];
        if (input && input.focus) input.focus();
        else if (input && input[0]) input[0].focus(); // the radios
      } else {
        policyError.textContent = (field ? t("“{label}”", { label: SHORT[field] || field }) + ": " : "") + inWords(e.message);
      }
    }
  });

  hub.ready.then(function (data) { fillPolicy(data.policy); }, function (e) {
    policyError.textContent = t("Could not load the ad policy: {error}", { error: e.message });
  });
})();
