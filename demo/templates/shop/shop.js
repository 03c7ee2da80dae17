/* Fernwood demo shop: a little behaviour, and the bugs the demo data tells stories about. */
(function () {
  "use strict";

  // Reviews rating badge. Deliberately fragile: pages without a summary element throw,
  // which the seeded data shows as the recurring product-page error.
  function showRating(root) {
    if (!root.querySelector(".reviews")) return;
    var stars = root.querySelector(".reviews .summary").textContent;
    root.querySelector(".reviews h2").setAttribute("title", stars);
  }

  // Payment step: in the seeded data the payment library sometimes has not loaded yet.
  function attachPayment(form) {
    form.addEventListener("submit", function () {
      var pay = window.fernwoodPay;
      form.dataset.session = pay.session.token;
    });
  }

  function pickSize(group) {
    group.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      group.querySelectorAll("button").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    window.fernwoodPay = { session: { token: "demo" } };
    document.querySelectorAll("[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll(".size-picker").forEach(pickSize);
    var form = document.getElementById("checkout-form");
    if (form) attachPayment(form);
    showRating(document);
  });
})();
