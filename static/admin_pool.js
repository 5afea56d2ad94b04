// StockGuard panel — the invitation to share stock (a pool link opened for this store): the
// server draws the notice only when there is one; its buttons accept or decline through the
// API, then the page reloads to show the store in its pool (or without the notice).
(function () {
  "use strict";
  const P = window.StockGuardPanel;
  const box = document.querySelector("[data-pool-invitation]");
  if (!P || !box) return;
  const status = box.querySelector("[data-pool-status]");

  function answer(accept) {
    box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    status.textContent = P.t ? P.t("Saving…") : "Saving…";
    P.api("POST", "/pool/invitation", { accept: accept }).then(function () {
      window.location.reload();
    }, function (e) {
      status.textContent = e.message;
      box.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
    });
  }
  box.querySelector('[data-pool-answer="accept"]').addEventListener("click", function () { answer(true); });
  box.querySelector('[data-pool-answer="decline"]').addEventListener("click", function () { answer(false); });
})();
