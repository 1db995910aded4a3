/* CryptoCity Pay merchant portal: the POS keypad, one submit per charge, print buttons.
 * Everything works without it (the amount is a plain field, forms post normally). */
(function () {
  "use strict";

  var amount = document.getElementById("amount");
  document.querySelectorAll("button.key").forEach(function (key) {
    key.addEventListener("click", function () {
      var k = key.dataset.key;
      if (k === "back") { amount.value = amount.value.slice(0, -1); return; }
      if (amount.value.replace(/\D/g, "").length < 12) { amount.value += k; }
    });
  });

  /* A double tap submits once; the server would give the same invoice anyway (charge id). */
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (form.dataset.sent) { return; }
      form.dataset.sent = "1";
      if (button) { setTimeout(function () { button.disabled = true; }, 0); }
    });
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent.trim();
      if (navigator.clipboard) { navigator.clipboard.writeText(text); }
    });
  });

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
