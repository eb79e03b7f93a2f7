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
