// Active reading time: count the seconds the page is visible and send the view's running
// total every 15 s and when the page is hidden. Totals, not increments: a heartbeat lost
// to a dropped connection is made good by the next one, a repeated one changes nothing.
(function () {
  var box = document.querySelector("section.study[data-article]");
  if (!box) return;
  var article = parseInt(box.getAttribute("data-article"), 10);
  var view = (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "")
    : (Date.now().toString(36) + Math.random().toString(36).slice(2, 14));
  var seconds = 0, sent = -1;
  function send() {
    if (seconds === sent) return;
    var body = JSON.stringify({v: view, a: article, s: seconds});
    var ok = false;
    if (navigator.sendBeacon) {
      try { ok = navigator.sendBeacon("/read/beat", new Blob([body], {type: "application/json"})); }
      catch (e) { ok = false; }
    }
    if (!ok && window.fetch) {
      fetch("/read/beat", {method: "POST", body: body, keepalive: true, credentials: "same-origin",
                           headers: {"Content-Type": "application/json"}}).catch(function () {});
    }
    sent = seconds;
  }
  setInterval(function () {
    if (document.visibilityState === "visible") {
      seconds += 1;
      if (seconds % 15 === 0) send();
    }
  }, 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") send();
  });
  window.addEventListener("pagehide", send);
  // 我已学习 carries this view's time so far, so the server judges the confirmation on
  // it (a heartbeat sent now could arrive after the confirmation).
  var confirm = box.querySelector("form[action='/read/studied']");
  if (confirm) {
    confirm.addEventListener("submit", function () {
      [["view", view], ["seconds", String(seconds)]].forEach(function (pair) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = pair[0]; input.value = pair[1];
        confirm.appendChild(input);
      });
      sent = seconds;
    });
  }
  window.zhuanlanReading = {seconds: function () { return seconds; }, send: send};
})();
