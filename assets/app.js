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
  // "/" jumps to the global search box, as in many web apps.
  document.addEventListener("keydown", (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (e.key === "/" && !typing) {
      const box = document.getElementById("global-search");
      if (box) { e.preventDefault(); box.focus(); }
    }
  });
});
