// The review queue by keyboard: j/k move, x select, a approve, r reject, u 撤销上一步,
// o open the preview; on the approved tab J/K move the item down/up in the next issue.
// After an action the page comes back at #cand-{id} (the item the editor was at, or the
// next one): that item gets the focus, so the keys go on from there.
(function () {
  const items = Array.from(document.querySelectorAll("ul.queue > li"));
  let at = items.length ? 0 : -1;
  if (location.hash.startsWith("#cand-")) {
    const i = items.findIndex(li => "#" + li.id === location.hash);
    if (i >= 0) at = i;
  }
  function focus(i, scroll) {
    if (!items.length) return;
    at = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((li, j) => li.classList.toggle("focused", j === at));
    items[at].focus({preventScroll: true});
    if (scroll) items[at].scrollIntoView({block: "nearest"});
  }
  function press(selector) {
    const li = items[at];
    const button = li && li.querySelector(selector);
    if (button && !button.disabled) button.click();
  }
  function say(text) {
    const note = document.getElementById("status-note");
    if (!note) return;
    note.textContent = "";
    // A fresh text node, so screen readers announce the same words again.
    setTimeout(() => { note.textContent = text; }, 50);
  }
  function undo() {
    const form = document.getElementById("undo-step");
    if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
    else say("没有可撤销的操作");
  }
  // A bulk action comes back at the first item after the focused one it leaves in place.
  const bulk = document.getElementById("bulk");
  if (bulk) bulk.addEventListener("submit", () => {
    const stays = items.slice(Math.max(at, 0)).concat(items.slice(0, Math.max(at, 0)).reverse())
      .find(li => { const c = li.querySelector("input[type=checkbox][name=candidate_id]"); return c && !c.checked; });
    if (!stays) return;
    const input = document.createElement("input");
    input.type = "hidden"; input.name = "focus"; input.value = stays.dataset.id;
    bulk.appendChild(input);
  });
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
      case "j": focus(at + 1, true); break;
      case "k": focus(at - 1, true); break;
      case "J": press("button[name=direction][value=down]"); break;
      case "K": press("button[name=direction][value=up]"); break;
      case "x": { const c = li && li.querySelector("input[type=checkbox][name=candidate_id]"); if (c) c.checked = !c.checked; break; }
      case "a": press("button[name=action][value=approve]"); break;
      case "r": press("button[name=action][value=reject]"); break;
      case "u": undo(); break;
      case "o": { const a = li && li.querySelector("h3 a"); if (a) a.click(); break; }
      default: return;
    }
    e.preventDefault();
  });
  if (items.length) focus(at, at > 0);
})();
