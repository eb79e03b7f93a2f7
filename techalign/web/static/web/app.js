// Live Markdown preview under every textarea marked data-markdown (rendered by the server,
// so the preview shows exactly what the sanitiser lets through).
document.addEventListener("htmx:load", (event) => {
  const root = event.detail.elt;
  if (!root.querySelectorAll) return;
  root.querySelectorAll("textarea[data-markdown]").forEach((area) => {
    if (area.dataset.previewReady) return;
    area.dataset.previewReady = "1";
    const preview = document.createElement("div");
    preview.className = "md-preview markdown";
    preview.id = area.id + "-preview";
    preview.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", preview);
    area.setAttribute("hx-post", document.body.dataset.previewUrl);
    area.setAttribute("hx-trigger", "input changed delay:400ms, focus once");
    area.setAttribute("hx-params", area.name);
    area.setAttribute("hx-target", "#" + preview.id);
    area.setAttribute("hx-swap", "innerHTML");
    htmx.process(area);
  });
});

// What a person has typed but not sent yet survives a neighbouring action or a poll that
// re-renders the region around it: before the swap, every field that differs from how the
// server rendered it is noted (by its form's action and its name), and written back into the
// new content after. The form that was just sent and accepted comes back empty on purpose. A
// choice the new content no longer offers (a party aligned meanwhile) is not written back: the
// select stays as the server rendered it, rather than blank or on another option.
const UNKEPT = new Set(["hidden", "file", "password", "submit", "button", "reset"]);
let typed = [];

function keyOf(field) {
  const form = field.form;
  return form ? [form.getAttribute("action") || "", field.name].join(" ") : null;
}

function changedFields(root, skip) {
  const found = [];
  root.querySelectorAll("input, textarea, select").forEach((field) => {
    if (!field.name || UNKEPT.has(field.type) || !field.form || field.form === skip) return;
    const key = keyOf(field);
    if (field.type === "checkbox" || field.type === "radio") {
      if (field.checked !== field.defaultChecked) {
        found.push({ key, value: field.value, checked: field.checked });
      }
    } else if (field.tagName === "SELECT") {
      const options = Array.from(field.options);
      // A single select rendered with no option marked selected shows its first option: that
      // is how the server rendered it, not a choice to carry into the new content.
      const implicit = !field.multiple && field.size <= 1 && !options.some((o) => o.defaultSelected);
      const rendered = (o, i) => o.defaultSelected || (implicit && i === 0);
      if (options.some((o, i) => o.selected !== rendered(o, i))) {
        found.push({ key, selected: options.filter((o) => o.selected).map((o) => o.value) });
      }
    } else if (field.value !== field.defaultValue) {
      found.push({ key, text: field.value });
    }
  });
  return found;
}

document.addEventListener("htmx:beforeSwap", (event) => {
  const detail = event.detail;
  if (!detail.shouldSwap || !detail.target) return;
  const source = detail.requestConfig && detail.requestConfig.elt;
  const sent = source && source.closest ? source.closest("form") : null;
  const accepted = detail.xhr && !detail.xhr.getResponseHeader("X-Refused");
  typed = changedFields(detail.target, accepted ? sent : null);
});

document.addEventListener("htmx:afterSwap", () => {
  const pending = typed;
  typed = [];
  pending.forEach((entry) => {
    document.querySelectorAll("input, textarea, select").forEach((field) => {
      if (!field.name || keyOf(field) !== entry.key) return;
      if ("checked" in entry) {
        if (field.value !== entry.value) return;
        field.checked = entry.checked;
      } else if ("selected" in entry) {
        const options = Array.from(field.options);
        if (!options.some((o) => entry.selected.includes(o.value))) return;
        options.forEach((o) => { o.selected = entry.selected.includes(o.value); });
      } else {
        field.value = entry.text;
      }
      const folded = field.closest("details");
      if (folded) folded.open = true;
    });
  });
});

// The top bar's menu on narrow screens: a disclosure button (aria-expanded) that shows and
// hides #menu; Escape folds it again and puts the focus back on the button. Without this
// script the menu stays unfolded (see the <noscript> style in base.html).
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".topbar .menu-toggle");
  if (!toggle) return;
  const setOpen = (open) => toggle.setAttribute("aria-expanded", open ? "true" : "false");
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || toggle.getAttribute("aria-expanded") !== "true") return;
    setOpen(false);
    toggle.focus();
  });
});

// A select marked data-reveal shows the field whose id it names only while one of the values in
// data-reveal-values is chosen (the reason a phase earlier than the proposed one needs).
// Without script the field simply stays visible.
function applyReveal(select) {
  const target = document.getElementById(select.dataset.reveal);
  const row = target && (target.closest(".field") || target);
  if (!row) return;
  row.hidden = !select.dataset.revealValues.split(" ").includes(select.value);
}

document.addEventListener("htmx:load", (event) => {
  const root = event.detail.elt;
  if (!root.querySelectorAll) return;
  root.querySelectorAll("select[data-reveal]").forEach(applyReveal);
});

document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("select[data-reveal]")) {
    applyReveal(event.target);
  }
});
