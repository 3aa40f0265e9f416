// Live checks of the column form: a rule's fault shown under its field with the place
// marked, and the schedule's next five run times, asked of the server as the editor types
// (the same parser and cron reader that check the form when it is saved).
(function () {
  "use strict";
  var form = document.getElementById("column-form");
  if (!form) return;
  var timers = {};

  function later(key, fn) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(fn, 300);
  }

  function ask(url, params, done) {
    var q = Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
    fetch(url + "?" + q, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); }).then(done).catch(function () {});
  }

  function showRule(name, text, answer) {
    var box = document.getElementById("err-" + name);
    if (!box) return;
    box.textContent = "";
    if (answer.ok) { box.hidden = true; return; }
    box.appendChild(document.createTextNode(answer.message));
    if (answer.position !== null && answer.position !== undefined) {
      var p = answer.position, at = document.createElement("code");
      at.className = "at";
      var before = document.createElement("span"), mark = document.createElement("mark"),
          after = document.createElement("span");
      before.textContent = text.slice(0, p);
      mark.textContent = text.slice(p, p + 1) || " ";
      after.textContent = text.slice(p + 1);
      at.appendChild(before); at.appendChild(mark); at.appendChild(after);
      box.appendChild(document.createElement("br"));
      box.appendChild(at);
    }
    box.hidden = false;
  }

  function checkRule(field) {
    var text = field.value;
    later(field.name, function () {
      ask("/admin/columns/check/rule", {field: field.name, text: text}, function (answer) {
        if (field.value === text) showRule(field.name, text, answer);
      });
    });
  }

  function checkSchedule() {
    var schedule = form.elements.schedule.value, tz = form.elements.timezone.value;
    later("schedule", function () {
      ask("/admin/columns/check/schedule", {schedule: schedule, timezone: tz}, function (answer) {
        var box = document.getElementById("err-schedule"),
            times = document.getElementById("next-times"),
            list = document.getElementById("next-times-list");
        list.textContent = "";
        if (!answer.ok) {
          box.textContent = answer.message; box.hidden = false; times.hidden = true;
          return;
        }
        box.hidden = true;
        answer.times.forEach(function (t) {
          var li = document.createElement("li"); li.textContent = t; list.appendChild(li);
        });
        times.querySelector(".hint").textContent = "接下来五次推送（" + tz + "）：";
        times.hidden = false;
      });
    });
  }

  Array.prototype.forEach.call(form.querySelectorAll("[data-check=rule]"), function (field) {
    field.addEventListener("input", function () { checkRule(field); });
  });
  form.elements.schedule.addEventListener("input", checkSchedule);
  form.elements.timezone.addEventListener("change", checkSchedule);
})();
