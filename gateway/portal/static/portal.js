/* CryptoCity Pay merchant portal: the POS keypad, one submit per charge, print buttons.
 * Everything works without it (the amount is a plain field, forms post normally). */
(function () {
  "use strict";

  var amount = document.getElementById("amount");
  var total = document.getElementById("charge-total");

  /* Tiyn as tenge like the server's format_kzt: thin-space groups, two decimals. */
  function formatKzt(tiyn) {
    var digits = String(tiyn).padStart(3, "0");
    var whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
    return whole + total.dataset.decimal + digits.slice(-2) + "\u00a0\u20b8";
  }

  /* The running total the cashier sees; the server prices the charge again itself. */
  function keypadTiyn() {
    var match = /^(\d+)(?:[.,](\d{1,2}))?$/.exec(amount.value.replace(/\s/g, ""));
    if (!match) { return 0; }
    return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
  }

  function updateTotal() {
    if (!total) { return; }
    var sum = keypadTiyn();
    document.querySelectorAll("li.item").forEach(function (item) {
      sum += Number(item.dataset.price) * (Number(item.querySelector(".qty").value) || 0);
    });
    total.textContent = formatKzt(sum);
  }

  document.querySelectorAll("button.key[data-key]").forEach(function (key) {
    key.addEventListener("click", function () {
      var k = key.dataset.key;
      if (k === "back") { amount.value = amount.value.slice(0, -1); }
      else if (amount.value.replace(/\D/g, "").length < 12) { amount.value += k; }
      updateTotal();
    });
  });
  document.querySelectorAll("button.key[data-step]").forEach(function (key) {
    key.addEventListener("click", function () {
      var qty = key.parentNode.querySelector(".qty");
      qty.value = String(Math.min(999, Math.max(0, (Number(qty.value) || 0) +
        Number(key.dataset.step))));
      updateTotal();
    });
  });
  document.querySelectorAll(".qty, #amount").forEach(function (input) {
    input.addEventListener("input", updateTotal);
  });
  /* A refused charge comes back with what was typed: its total, not 0. */
  if (amount) { updateTotal(); }

  /* A charge sent but never answered (a dropped connection) is sent again with its own
   * charge id when the cashier comes back to the keypad and taps Charge for the same thing
   * (same amount, counts and note), so the server finds the invoice the first tap made
   * instead of making a second one. A different charge, one older than PENDING_MS, or the
   * first charge's customer view ends it: then it is a new sale with the page's own id. */
  var PENDING_MS = 120000;
  var chargeForm = document.getElementById("charge-form");
  var pendingKey = chargeForm && "ccp-pos-pending:" + chargeForm.getAttribute("action");
  function storage() {
    try { return window.sessionStorage; } catch (error) { return null; }
  }
  function typed(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && field.name !== "charge_id" && field.name !== "csrf_token") {
        parts.push(field.name + "=" + field.value);
      }
    });
    return parts.join("&");
  }
  if (chargeForm && storage()) {
    chargeForm.addEventListener("submit", function () {
      var pending = null;
      try { pending = JSON.parse(storage().getItem(pendingKey) || "null"); } catch (error) { /* none */ }
      var what = typed(chargeForm);
      if (pending && Date.now() - pending.at < PENDING_MS && pending.typed === what &&
          /^[A-Za-z0-9_-]{16,64}$/.test(pending.id)) {
        chargeForm.elements.charge_id.value = pending.id;
      }
      storage().setItem(pendingKey, JSON.stringify({ id: chargeForm.elements.charge_id.value,
        at: Date.now(), typed: what }));
    });
  }
  if (document.querySelector("#charge[data-invoice]") && storage()) {
    Object.keys(storage()).forEach(function (key) {
      if (key.indexOf("ccp-pos-pending:") === 0) { storage().removeItem(key); }
    });
  }

  /* A double tap submits once; the server would give the same invoice anyway (charge id). */
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var button = form.querySelector("button[type=submit]");
      /* Irreversible changes (deleting a webhook endpoint) ask first. */
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        return;
      }
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
