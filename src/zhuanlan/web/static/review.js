// The review queue by keyboard: j/k move, x select, a approve, r reject, u undo, o open.
(function () {
  const items = Array.from(document.querySelectorAll("ul.queue > li"));
  let at = items.length ? 0 : -1;
  function focus(i) {
    if (!items.length) return;
    at = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((li, j) => li.classList.toggle("focused", j === at));
    items[at].scrollIntoView({block: "nearest"});
  }
  function press(action) {
    const li = items[at];
    const button = li && li.querySelector(`button[name=action][value=${action}]`);
    if (button) button.click();
  }
  const all = document.getElementById("select-all");
  if (all) all.addEventListener("change", () => {
    document.querySelectorAll("input[type=checkbox][name=candidate_id]").forEach(c => { c.checked = all.checked; });
  });
  document.addEventListener("keydown", (e) => {
    if (e.target.closest("textarea, input[type=text]") || e.ctrlKey || e.metaKey || e.altKey) return;
    const li = items[at];
    switch (e.key) {
      case "j": focus(at + 1); break;
      case "k": focus(at - 1); break;
      case "x": { const c = li && li.querySelector("input[type=checkbox][name=candidate_id]"); if (c) c.checked = !c.checked; break; }
      case "a": press("approve"); break;
      case "r": press("reject"); break;
      case "u": press("undo"); break;
      case "o": { const a = li && li.querySelector("h3 a"); if (a) a.click(); break; }
      default: return;
    }
    e.preventDefault();
  });
  focus(0);
})();
