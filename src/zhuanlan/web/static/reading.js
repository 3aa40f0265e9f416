// Active reading time: count the seconds the page is visible and send the view's running
// total every 15 s and when the page is hidden. Totals, not increments: a heartbeat lost
// to a dropped connection is made good by the next one, a repeated one changes nothing.
(function () {
  var box = document.querySelector("section.study[data-article]");
  if (!box) return;
  var article = parseInt(box.getAttribute("data-article"), 10);
  var issue = box.getAttribute("data-issue");
  // The page is the same for every reader (the server keeps it rendered); what is this
  // reader's comes from /read/state. Text only (textContent): titles are the editor's.
  function show(id, text) {
    var el = document.getElementById(id);
    if (!el) return null;
    if (text !== undefined) el.textContent = text;
    el.hidden = false;
    return el;
  }
  function fill(s) {
    if (s.too_quick) {
      show("too-quick", "阅读时间不足 " + s.min_seconds + " 秒，本次未计为已学习。" +
           "请继续阅读，稍后再点“我已学习”；继续阅读的时间也会补计。");
    } else if (s.studied_at) {
      show("studied-done", "✓ 已于 " + s.studied_at + " 确认学习");
      var form = box.querySelector("form[action='/read/studied']");
      if (form) form.hidden = true;
    }
    if (!s.issue) return;
    show("issue-progress", " · 本期已学 " + s.issue.studied + "/" + s.issue.count);
    if (s.issue.studied >= s.issue.count) { show("issue-done"); return; }
    if (!s.issue.unstudied.length || !document.getElementById("issue-unstudied")) return;
    var list = show("issue-unstudied");
    s.issue.unstudied.forEach(function (u, k) {
      if (k) list.appendChild(document.createTextNode("、"));
      var link = document.createElement("a");
      link.href = "/a/" + u.article_id + "?i=" + issue;
      link.textContent = u.title || "";
      list.appendChild(link);
    });
  }
  if (window.fetch) {
    fetch("/read/state?a=" + article + (issue ? "&i=" + issue : ""),
          {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) fill(s); })
      .catch(function () {});
  }
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
