// 预览: one channel at a time (all shown without JavaScript), and the e-mail at phone or
// desktop width.
(function () {
  var tabs = document.querySelectorAll(".preview-tabs [data-tab]");
  var panels = document.querySelectorAll("[data-panel]");
  var show = function (id) {
    panels.forEach(function (p) { p.hidden = p.id !== id; });
    tabs.forEach(function (t) {
      var on = t.getAttribute("data-tab") === id;
      t.classList.toggle("active", on);
      t.setAttribute("aria-selected", on ? "true" : "false");
    });
  };
  tabs.forEach(function (t) {
    t.addEventListener("click", function (e) {
      e.preventDefault();
      show(t.getAttribute("data-tab"));
      history.replaceState(null, "", "#" + t.getAttribute("data-tab"));
    });
  });
  var first = location.hash.slice(1);
  show(document.getElementById(first) && first.indexOf("ch-") === 0 ? first : "ch-email");
  var frame = document.getElementById("email-frame");
  document.querySelectorAll(".width-toggle [data-width]").forEach(function (b) {
    b.addEventListener("click", function () {
      frame.style.width = b.getAttribute("data-width") + "px";
      frame.setAttribute("width", b.getAttribute("data-width"));
      document.querySelectorAll(".width-toggle [data-width]").forEach(function (o) {
        o.classList.toggle("active", o === b);
      });
    });
  });
  var fit = function () {
    try {
      frame.style.height = (frame.contentWindow.document.documentElement.scrollHeight + 20) + "px";
    } catch (e) { frame.style.height = "900px"; }
  };
  frame.addEventListener("load", fit);
})();
