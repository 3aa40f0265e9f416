// 答题 without leaving the place on the page: the question's form is posted as it would be
// without script, and the question's block of the page that comes back replaces this one.
// Without fetch (or on any failure) the form simply submits.
(function () {
  var list = document.querySelector("#quiz .quiz-list");
  if (!list || !window.fetch || !window.DOMParser) return;
  list.addEventListener("submit", function (event) {
    var form = event.target;
    var item = form.closest("li.quiz-q");
    if (!item) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form)),
                        credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(item.id);
        if (!fresh) throw new Error("no question");
        item.replaceWith(document.importNode(fresh, true));
        var result = document.getElementById(item.id).querySelector("[role=status], [role=alert]");
        if (result) result.scrollIntoView({block: "nearest"});
      })
      .catch(function () { form.submit(); });
  });
})();
