// minicrm's small enhancements; every feature works without this file.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // After a rejected form, put the cursor in the first field that needs fixing.
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) invalid.focus();
  // "/" jumps to the global search box, as in many web apps.
  document.addEventListener("keydown", (e) => {
    const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
    if (e.key === "/" && !typing) {
      const box = document.getElementById("global-search");
      if (box) { e.preventDefault(); box.focus(); }
    }
  });
});
