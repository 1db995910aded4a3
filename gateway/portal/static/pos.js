/* The POS customer view and the stand sticker's page: countdown, live status from
 * GET /pay/{id}/events (the checkout's stream: an `invoice` snapshot, then one event per
 * change), the receipt once paid; the stand page also follows the till's current charge. */
(function () {
  "use strict";

  var stand = document.getElementById("stand");
  if (stand) {
    setInterval(function () {
      fetch(stand.dataset.currentUrl, { cache: "no-store" }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (current) {
        var shown = stand.dataset.invoice || null;
        if (current && current.invoice !== shown &&
            !(current.invoice === null && stand.querySelector("[data-phase=paid]"))) {
          window.location.reload();
        }
      }).catch(function () { /* offline for a moment: try again on the next tick */ });
    }, 2000);
  }

  var root = document.getElementById("charge");
  if (!root) { return; }
  var status = document.getElementById("status");
  var EVENT_TYPES = ["invoice", "invoice.created", "invoice.processing", "invoice.settled",
    "invoice.paid_partial", "invoice.expired", "invoice.paid_late", "invoice.invalid",
    "invoice.cancelled", "invoice.reverted"];
  var FINAL = { paid: true, expired: true, invalid: true, cancelled: true };
  var left = Number(root.dataset.secondsLeft);
  var stream = null;

  function phaseOf(invoice) {
    switch (invoice.status) {
      case "processing": return "processing";
      case "settled": return "paid";
      case "invalid": return "invalid";
      case "cancelled": return "cancelled";
      case "expired": return "expired";
      default: return invoice.amount_paid > 0 ? "partial" : "waiting";
    }
  }

  function show(phase, invoice) {
    /* A (further) partial payment: the server draws the QR for the remainder. */
    if (phase === "partial" && String(invoice.amount_paid) !== root.dataset.amountPaid) {
      window.location.reload();
      return;
    }
    root.dataset.phase = phase;
    status.textContent = status.dataset["t" + phase.charAt(0).toUpperCase() + phase.slice(1)];
    if (FINAL[phase] && stream) { stream.close(); }
    if (phase === "paid") {
      setTimeout(function () { window.location.assign(root.dataset.receiptUrl); }, 1200);
    }
  }

  function tick() {
    var node = document.getElementById("countdown");
    left = Math.max(0, left - 1);
    node.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    if (left > 0 && !FINAL[root.dataset.phase]) { setTimeout(tick, 1000); }
  }

  if (window.EventSource) {
    stream = new EventSource(root.dataset.eventsUrl);
    EVENT_TYPES.forEach(function (type) {
      stream.addEventListener(type, function (event) {
        try { var invoice = JSON.parse(event.data); show(phaseOf(invoice), invoice); } catch (error) { /* skip */ }
      });
    });
  }
  setTimeout(tick, 1000);
}());
