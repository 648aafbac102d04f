// The LTI tool's one script (served from /lti/lti.js; the pages' CSP allows no inline script).
// 1. data-lti="put": keep the login's binding in the platform's client-side storage (LTI client-side
//    OIDC storage: lti.put_data), then go on to the platform's authorization endpoint.
// 2. data-lti="get": read it back (lti.get_data) and post the launch again with it, from this origin.
// 3. form[data-autosubmit]: post the deep-linking response back to the platform.
// Messages go only to the platform's origin, and only answers from that origin are read.
(function () {
  "use strict";
  function frameOf(target) {
    if (target === "_parent") return window.parent;
    try { return window.parent.frames[target] || window.top.frames[target]; } catch (e) { return null; }
  }
  function ask(el, message, onAnswer, onNone) {
    var id = "talkio-" + Math.random().toString(36).slice(2);
    var origin = el.dataset.origin, frame = frameOf(el.dataset.target), done = false;
    function finish(fn, arg) { if (!done) { done = true; window.removeEventListener("message", listen); fn(arg); } }
    function listen(ev) {
      var d = ev.data;
      if (ev.origin !== origin || !d || typeof d !== "object" || d.message_id !== id) return;
      if (d.subject !== message.subject + ".response" && d.subject !== "org.imsglobal." + message.subject + ".response") return;
      finish(d.error ? onNone : onAnswer, d);
    }
    window.addEventListener("message", listen);
    message.message_id = id;
    if (!frame || !origin) { finish(onNone); return; }
    frame.postMessage(message, origin);
    setTimeout(function () { finish(onNone); }, 3000);
  }
  function start() {
    var el = document.getElementById("lti-storage");
    if (el && el.dataset.lti === "put") {
      var next = function () { window.location.href = el.dataset.next; };
      // Without the platform's storage the state cookie may still work: go on either way.
      ask(el, { subject: "lti.put_data", key: el.dataset.key, value: el.dataset.value }, next, next);
    }
    if (el && el.dataset.lti === "get") {
      var form = document.getElementById("lti-storage-form");
      ask(el, { subject: "lti.get_data", key: el.dataset.key }, function (d) {
        document.getElementById("lti-storage-value").value = typeof d.value === "string" ? d.value : "";
        form.submit();
      }, function () { form.submit(); });
    }
    var auto = document.querySelector("form[data-autosubmit]");
    if (auto) auto.submit();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
