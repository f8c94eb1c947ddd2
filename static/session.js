// Session-timeout warning (WCAG 2.2.1 "Timing adjustable"): the server signs
// a cardholder out after the idle timeout; this warns up to 60 seconds before
// (at least 20) and lets them stay signed in with one key press. Without
// JavaScript the session still ends on the server, as the footer says.
(function () {
  "use strict";
  // Signed-in pages are `no-store`, yet Chromium may restore one from its
  // back/forward cache: after a hand-off (stale receipts), after sign-out
  // (account data on a shared computer). Never show such a copy: ask the
  // server again, which answers with the page as it is now, or sign-in.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });
  var box = document.getElementById("session-timeout");
  if (!box) { return; }
  var idle = parseInt(box.getAttribute("data-idle-seconds"), 10) || 300;
  // The server moves its idle clock only every few seconds: the first
  // countdown runs from what it says is left, later ones from a full period.
  var left = parseInt(box.getAttribute("data-idle-left"), 10);
  if (!(left >= 0 && left <= idle)) { left = idle; }
  var warnFor = Math.max(20, Math.min(60, Math.floor(idle / 2)));
  var seconds = box.querySelector("[data-seconds]");
  var button = box.querySelector("button");
  var warnTimer = null;
  var tick = null;
  var deadline = 0;

  function expired() { window.location.assign("/login?reason=expired&next=" + encodeURIComponent(location.pathname + location.search)); }

  function schedule(period) {
    clearTimeout(warnTimer);
    clearInterval(tick);
    box.hidden = true;
    deadline = Date.now() + period * 1000;
    warnTimer = setTimeout(warn, Math.max(0, period - warnFor) * 1000);
  }

  function warn() {
    box.hidden = false;
    button.focus();
    update();
    tick = setInterval(update, 1000);
  }

  function update() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    seconds.textContent = String(left);
    if (left <= 0) { clearInterval(tick); expired(); }
  }

  button.addEventListener("click", function () {
    fetch("/session/keepalive", {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRF-Token": box.getAttribute("data-csrf") }
    }).then(function (response) {
      if (response.status === 204) { schedule(idle); } else { expired(); }
    }, expired);
  });

  schedule(left);
})();
