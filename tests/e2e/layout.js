// Run in the page by tests/e2e/audit.py: every visible control must lie inside the viewport
// across, inside it up and down unless scrolled out of a panel, and be the topmost thing at its
// centre (nothing lies over it). Returns {problems, reached}: what is wrong, and the ids (or
// data-act) of the controls one can click.
() => {
  const problems = [];
  const width = innerWidth, height = innerHeight;
  const page = document.documentElement.scrollWidth;
  if (page > width) problems.push(`the page is ${page} px wide in a ${width} px viewport`);
  const name = (c) => c.id || c.dataset.act || c.dataset.view || c.getAttribute("aria-label")
    || c.textContent.trim().slice(0, 30) || c.tagName;
  const reached = [];
  const selector = "button, input, select, textarea, a[href], summary, [tabindex]:not([tabindex='-1'])";
  const visibility = { checkOpacity: true, checkVisibilityCSS: true, visibilityProperty: true };
  for (const control of document.querySelectorAll(selector)) {
    if (!control.checkVisibility(visibility)) continue;
    let box = control.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // visually hidden until focused
    if (box.left < -0.5 || box.right > width + 0.5) {
      problems.push(`${name(control)} runs off the screen across (${box.left}..${box.right})`);
      continue;
    }
    let shown = { top: box.top, bottom: box.bottom, left: box.left, right: box.right };
    for (let up = control.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflow === "visible") continue;
      const clip = up.getBoundingClientRect();
      shown = { top: Math.max(shown.top, clip.top), bottom: Math.min(shown.bottom, clip.bottom),
                left: Math.max(shown.left, clip.left), right: Math.min(shown.right, clip.right) };
    }
    if (shown.bottom - shown.top < 2 || shown.right - shown.left < 2) continue;  // scrolled out of its panel
    if (shown.top < -0.5 || shown.bottom > height + 0.5) {
      problems.push(`${name(control)} runs off the screen up or down (${shown.top}..${shown.bottom})`);
      continue;
    }
    const x = (shown.left + shown.right) / 2, y = (shown.top + shown.bottom) / 2;
    const top = document.elementFromPoint(x, y);
    const label = top?.closest("label");
    if (!top || !(control.contains(top) || (label && label.contains(control)) || label === control.labels?.[0])) {
      problems.push(`${name(control)} is covered by ${top ? top.getAttribute("class") || top.tagName : "nothing"}`);
      continue;
    }
    reached.push(control.id || control.dataset.act || "");
  }
  return { problems, reached };
}
