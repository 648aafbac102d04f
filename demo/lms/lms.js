// The demo platform's script. On the course page it answers the LTI client-side storage messages
// (lti.capabilities, lti.put_data, lti.get_data) of the tool's frames, keeping values per tool
// origin in memory; on the form-post page it submits the launch.
(function () {
  "use strict";
  var store = {};
  window.addEventListener("message", function (ev) {
    var d = ev.data;
    if (!d || typeof d !== "object" || typeof d.subject !== "string") return;
    var reply = { subject: d.subject + ".response", message_id: d.message_id };
    var mine = store[ev.origin] = store[ev.origin] || {};
    if (d.subject === "lti.capabilities") {
      reply.supported_messages = [{ subject: "lti.put_data", frame: "_parent" }, { subject: "lti.get_data", frame: "_parent" }];
    } else if (d.subject === "lti.put_data") {
      mine[d.key] = d.value; reply.key = d.key; reply.value = d.value;
    } else if (d.subject === "lti.get_data") {
      reply.key = d.key;
      if (d.key in mine) reply.value = mine[d.key]; else reply.error = { code: "not_found", message: "no such key" };
    } else return;
    ev.source.postMessage(reply, ev.origin);
  });
  function start() {
    var f = document.querySelector("form[data-autosubmit]");
    if (f) f.submit();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
