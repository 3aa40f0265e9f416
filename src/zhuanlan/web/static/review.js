// The review queue by keyboard: j/k move, x select, a approve, r reject, u undo, o open
// the preview; on the approved tab J/K move the item down/up in the next issue.
(function () {
  const items = Array.from(document.querySelectorAll("ul.queue > li"));
  let at = items.length ? 0 : -1;
  // After a move the page comes back at #cand-{id}: keep that item focused.
  if (location.hash.startsWith("#cand-")) {
    const i = items.findIndex(li => "#" + li.id === location.hash);
    if (i >= 0) at = i;
  }
  function focus(i) {
    if (!items.length) return;
    at = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((li, j) => li.classList.toggle("focused", j === at));
    items[at].scrollIntoView({block: "nearest"});
  }
  function press(selector) {
    const li = items[at];
    const button = li && li.querySelector(selector);
    if (button && !button.disabled) button.click();
  }
  const all = document.getElementById("select-all");
  if (all) all.addEventListener("change", () => {
    document.querySelectorAll("input[type=checkbox][name=candidate_id]").forEach(c => { c.checked = all.checked; });
  });
  function typing(target) {
    if (target.closest("textarea, select")) return true;
    const input = target.closest("input");
    return !!input && !["checkbox", "radio", "button", "submit"].includes(input.type);
  }
  document.addEventListener("keydown", (e) => {
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const li = items[at];
    switch (e.key) {
      case "j": focus(at + 1); break;
      case "k": focus(at - 1); break;
      case "J": press("button[name=direction][value=down]"); break;
      case "K": press("button[name=direction][value=up]"); break;
      case "x": { const c = li && li.querySelector("input[type=checkbox][name=candidate_id]"); if (c) c.checked = !c.checked; break; }
      case "a": press("button[name=action][value=approve]"); break;
      case "r": press("button[name=action][value=reject]"); break;
      case "u": press("button[name=action][value=undo]"); break;
      case "o": { const a = li && li.querySelector("h3 a"); if (a) a.click(); break; }
      default: return;
    }
    e.preventDefault();
  });
  focus(at);
})();
