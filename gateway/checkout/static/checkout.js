/* CryptoCity Pay checkout: live status, option switching, copy buttons, countdown, redirect.
 *
 * The page works without this script (options are form buttons, languages are links); the
 * script adds what needs no reload. Live status comes from the SSE stream GET /pay/{id}/events
 * (first an `invoice` snapshot, then one event per change); the phase table mirrors
 * gateway/checkout/service.py `phase_of`. New payment panels (another option, or the remainder
 * QR after a partial payment) are rendered by the server: GET /pay/{id}/panel. Options on a
 * chain that is not live are disabled; the page re-reads GET /v1/status while payable.
 */
(function () {
  "use strict";

  var root = document.getElementById("checkout");
  if (!root) { return; }
  var catalog = JSON.parse(document.getElementById("catalog").textContent);
  var lang = document.documentElement.lang;
  var PAYABLE = { waiting: true, partial: true };
  var FINAL = { paid: true, invalid: true, cancelled: true };
  var EVENT_TYPES = ["invoice", "invoice.created", "invoice.processing", "invoice.settled",
    "invoice.paid_partial", "invoice.expired", "invoice.paid_late", "invoice.invalid",
    "invoice.cancelled", "invoice.reverted"];
  var state = {
    phase: root.dataset.phase,
    amountPaid: Number(root.dataset.amountPaid),
    asset: null,
    panels: {},
    redirecting: false,
    timeUp: false,
    stream: null
  };

  function byId(id) { return document.getElementById(id); }

  function t(key, fields) {
    return String(catalog[key]).replace(/\{(\w+)\}/g, function (whole, name) {
      return fields && name in fields ? String(fields[name]) : whole;
    });
  }

  /* Tiyn as tenge, exactly like formatting.py: thin-space groups, two decimals. */
  function formatKzt(tiyn) {
    var digits = String(Math.abs(tiyn)).padStart(3, "0");
    var whole = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, "\u2009");
    return (tiyn < 0 ? "-" : "") + whole + catalog.decimal_separator + digits.slice(-2) +
      "\u00a0\u20b8";
  }

  function phaseOf(invoice) {
    switch (invoice.status) {
      case "processing": return "processing";
      case "settled": return "paid";
      case "invalid": return "invalid";
      case "cancelled": return "cancelled";
      case "expired": return invoice.exception === "paid_late" ? "late" : "expired";
      default: return invoice.amount_paid > 0 ? "partial" : "waiting";
    }
  }

  function setText(id, text) {
    var node = byId(id);
    if (node && node.textContent !== text) { node.textContent = text; }
  }

  function show(id, visible) {
    var node = byId(id);
    if (node) { node.hidden = !visible; }
  }

  /* ---- payment panels ------------------------------------------------------------------ */

  function pageQuery(asset) {
    var query = new URLSearchParams({ lang: lang });
    if (asset) { query.set("asset", asset); }
    return query;
  }

  function markSelected(asset) {
    state.asset = asset;
    document.querySelectorAll("button.option").forEach(function (button) {
      button.setAttribute("aria-pressed", button.value === asset ? "true" : "false");
    });
    document.querySelectorAll(".langs a[hreflang]").forEach(function (link) {
      var query = pageQuery(asset);
      query.set("lang", link.getAttribute("hreflang"));
      link.search = query.toString();
    });
    history.replaceState(null, "", "?" + pageQuery(asset).toString());
  }

  function swapPanel(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("panel");
    var current = byId("panel");
    if (fresh && current) { current.replaceWith(document.adoptNode(fresh)); }
  }

  function loadPanel(asset) {
    if (state.panels[asset]) {
      swapPanel(state.panels[asset]);
      markSelected(asset);
      return Promise.resolve();
    }
    var url = root.dataset.panelUrl + "?" + pageQuery(asset).toString();
    return fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) { return null; }
        return response.text();
      })
      .then(function (html) {
        if (html === null) { return; }
        state.panels[asset] = html;
        swapPanel(html);
        markSelected(asset);
      })
      .catch(function () { /* offline for a moment: the old panel stays, still correct */ });
  }

  function onOptionClick(event) {
    var button = event.target.closest("button.option");
    if (!button) { return; }
    event.preventDefault();
    loadPanel(button.value);
  }

  /* ---- copy buttons -------------------------------------------------------------------- */

  function copyByHand(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    area.remove();
    return copied;
  }

  function selectText(button) {
    var code = button.parentNode.querySelector("code");
    if (!code) { return; }
    var range = document.createRange();
    range.selectNodeContents(code);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyFeedback(button, ok) {
    var message = ok ? catalog.copied : catalog.copy_failed;
    setText("copy-note", message);
    if (!ok) { selectText(button); return; }
    button.textContent = catalog.copied;
    button.classList.add("done");
    window.setTimeout(function () {
      button.textContent = catalog.copy;
      button.classList.remove("done");
    }, 2000);
  }

  function onCopyClick(event) {
    var button = event.target.closest("button.copy");
    if (!button) { return; }
    var text = button.dataset.copy;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { copyFeedback(button, true); },
        function () { copyFeedback(button, copyByHand(text)); });
    } else {
      copyFeedback(button, copyByHand(text));
    }
  }

  /* ---- countdown ----------------------------------------------------------------------- */

  function clock(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = String(seconds % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
  }

  function startCountdown() {
    // Counted from the server's figure on a monotonic clock: a wrong phone clock cannot skew it.
    var total = Number(root.dataset.secondsLeft);
    var started = performance.now();
    function tick() {
      var left = Math.max(total - Math.floor((performance.now() - started) / 1000), 0);
      setText("countdown", left > 0 ? clock(left) : catalog.time_up);
      if (left > 0) { return; }
      window.clearInterval(timer);
      state.timeUp = true;
      // The server confirms with invoice.expired; a payment already seen wins over this.
      if (PAYABLE[state.phase]) { setPhase("expired", null); }
    }
    var timer = window.setInterval(tick, 1000);
    tick();
  }

  /* ---- status -------------------------------------------------------------------------- */

  function startRedirect() {
    var target = root.dataset.redirectUrl;
    if (!target || state.redirecting) { return; }
    var parsed = new URL(target, location.href);
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") { return; }
    state.redirecting = true;
    show("done", true);
    var left = Number(root.dataset.redirectDelay);
    function step() {
      setText("redirect-note", t("redirect_in", { seconds: left }));
      if (left <= 0) { location.assign(parsed.href); return; }
      left -= 1;
      window.setTimeout(step, 1000);
    }
    step();
  }

  function showAmounts(invoice) {
    var remaining = invoice.amount_remaining !== undefined ? invoice.amount_remaining
      : Math.max(invoice.amount - invoice.amount_paid, 0);
    setText("paid-kzt", formatKzt(invoice.amount_paid));
    setText("remaining-kzt", formatKzt(remaining));
  }

  function setPhase(phase, invoice) {
    var before = state.phase;
    state.phase = phase;
    root.dataset.phase = phase;
    setText("status-text", catalog["status_" + phase]);
    show("status-note", phase === "paid" && invoice !== null && invoice.exception === "paid_over");
    setText("status-note", catalog.overpaid_note);
    show("paid-box", phase === "partial");
    show("timer", Boolean(PAYABLE[phase]));
    show("pay", Boolean(PAYABLE[phase]) && byId("panel") !== null);
    if (PAYABLE[phase] && !byId("panel") && !PAYABLE[before]) {
      location.reload();  // payable again (a reorg undid a payment): the server draws it fresh
    }
    if (phase === "paid") { startRedirect(); }
    if (FINAL[phase] && state.stream) { state.stream.close(); }
  }

  function apply(invoice) {
    var phase = phaseOf(invoice);
    // The quote's time is over: never offer it again, even if the sweeper has not run yet.
    if (state.timeUp && PAYABLE[phase]) { phase = "expired"; }
    var paidChanged = invoice.amount_paid !== state.amountPaid;
    state.amountPaid = invoice.amount_paid;
    if (phase === "partial") { showAmounts(invoice); }
    setPhase(phase, invoice);
    if (paidChanged && phase === "partial" && state.asset) {
      state.panels = {};  // every option's remainder changed
      loadPanel(state.asset);
    }
  }

  function follow() {
    if (!window.EventSource || FINAL[state.phase]) { return; }
    var stream = new EventSource(root.dataset.eventsUrl);
    state.stream = stream;
    EVENT_TYPES.forEach(function (type) {
      stream.addEventListener(type, function (event) {
        try { apply(JSON.parse(event.data)); } catch (error) { /* a malformed event: skip */ }
      });
    });
  }

  /* ---- chains: an option whose chain is not live (GET /v1/status) cannot be chosen ----- */

  var CHAIN_POLL_MS = 15000;

  function markChains(chains) {
    document.querySelectorAll("button.option[data-chain]").forEach(function (button) {
      var chain = chains[button.dataset.chain];
      var live = !chain || chain.state === "live";
      button.disabled = !live;
      if (live) { delete button.dataset.available; } else { button.dataset.available = "false"; }
      var note = button.querySelector(".unavailable");
      if (note) { note.hidden = live; }
    });
  }

  function watchChains() {
    if (!window.fetch || !PAYABLE[state.phase]) { return; }
    fetch("/v1/status", { cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body && body.chains) { markChains(body.chains); } })
      .catch(function () { /* offline for a moment: keep what is shown */ })
      .then(function () { window.setTimeout(watchChains, CHAIN_POLL_MS); });
  }

  /* ---- start --------------------------------------------------------------------------- */

  var panel = byId("panel");
  if (panel) { state.asset = panel.dataset.asset; }
  var form = document.querySelector("form.options");
  if (form) { form.addEventListener("click", onOptionClick); }
  document.addEventListener("click", onCopyClick);
  if (PAYABLE[state.phase]) { startCountdown(); }
  if (state.phase === "paid") { startRedirect(); }
  follow();
  window.setTimeout(watchChains, CHAIN_POLL_MS);
}());
