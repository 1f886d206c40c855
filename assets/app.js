// minicrm's small enhancements; every feature works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a rejected form, put the cursor in the first field that needs fixing.
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  // "Select all on this page" ticks the boxes here instead of reloading the page.
  for (const link of document.querySelectorAll("a.select-all")) {
    link.addEventListener("click", (e) => {
      e.preventDefault();
      const boxes = link.closest("form").querySelectorAll("input[type=checkbox][name=id]");
      const all = Array.from(boxes).every((b) => b.checked);
      for (const b of boxes) b.checked = !all;
    });
  }
  // Files dropped on an upload box (or anywhere on a page with one box) are sent as if chosen
  // in its file input; without JavaScript the input is there to choose them.
  const zones = document.querySelectorAll("form[data-drop-upload]");
  const zoneFor = (target) =>
    (target.closest && target.closest("form[data-drop-upload]")) || (zones.length === 1 ? zones[0] : null);
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files");
  if (zones.length > 0) {
    document.addEventListener("dragover", (e) => {
      const zone = hasFiles(e) && zoneFor(e.target);
      if (!zone) return;
      e.preventDefault();
      zone.classList.add("dragging");
    });
    document.addEventListener("dragleave", (e) => {
      if (e.relatedTarget === null) for (const z of zones) z.classList.remove("dragging");
    });
    document.addEventListener("drop", (e) => {
      const zone = hasFiles(e) && zoneFor(e.target);
      if (!zone) return;
      e.preventDefault();
      zone.classList.remove("dragging");
      const input = zone.querySelector("input[type=file]");
      input.files = e.dataTransfer.files;
      zone.requestSubmit();
    });
  }
  // "/" jumps to the global search box, as in many web apps; not while typing in a field
  // nor with a modifier held (a "/" typed on some keyboards needs Shift, which is allowed).
  document.addEventListener("keydown", (e) => {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const el = document.activeElement;
    const typing = el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable);
    if (typing) return;
    const box = document.getElementById("global-search");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });
});
