// Small aids to reading the pages with a keyboard, a screen reader or a printer. Plain DOM, no library;
// it runs on every page and again after each of Material's instant navigations (document$).
//
// - A box that scrolls sideways (a listing, a wide equation, a table on a phone) can be scrolled from
//   the keyboard: it becomes a Tab stop. Material does this for listings only on devices with a mouse,
//   and not for equations or tables. Boxes are measured when the page is idle, after it has loaded.
// - The toolbar Material puts in each listing (its copy button) is a <nav>, a landmark a screen reader
//   would list once per listing, all with the same name; it is a plain group of buttons instead.
// - Folded notes (<details>) are opened for printing, and closed again afterwards.

const SCROLLERS = [
  ".md-content pre > code",
  ".md-content div.arithmatex",
  ".md-content .md-typeset__scrollwrap",
  ".md-content .jupyter-wrapper .highlight-ipynb",
].join(", ");

// Whether `box` is wider inside than outside, or null when it cannot be told yet: a box that the
// browser skips while it is off screen (content-visibility: auto, extra.css; only equations are
// such boxes) reports no overflow, and laying it out to find out would cost what skipping it saved;
// it is measured when the reader reaches it (below). Boxes inside a skipped block are cheap to lay out.
function overflows(box) {
  if (window.aeSkipped?.has(box)) return null;  // (main.html keeps the set)
  return box.scrollWidth > box.clientWidth + 1;
}

function markScrollers(root) {
  for (const box of [root, ...root.querySelectorAll(SCROLLERS)].filter((node) => node.matches?.(SCROLLERS))) {
    const scrolls = overflows(box);
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.tabIndex = 0;
      box.dataset.scrollFocus = "";
    } else if (scrolls === false && "scrollFocus" in box.dataset) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrollFocus;
    }
  }
  document.documentElement.dataset.scrollers = "ready";  // for the tests
}

const idle = window.requestIdleCallback || ((callback) => setTimeout(callback, 200));

function prepare() {
  for (const nav of document.querySelectorAll(".md-content .md-code__nav")) nav.setAttribute("role", "none");
  delete document.documentElement.dataset.scrollers;
  idle(() => markScrollers(document), { timeout: 2000 });
}

// A block skipped while off screen is measured when the reader reaches it.
document.addEventListener("contentvisibilityautostatechange", (event) => {
  if (!event.skipped && (event.target.matches(SCROLLERS) || event.target.querySelector(SCROLLERS))) {
    markScrollers(event.target);
  }
}, true);

let resizing;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => idle(() => markScrollers(document)), 300);
});

// Printing: every folded note open on paper, as it was on screen afterwards.
let opened = [];
window.addEventListener("beforeprint", () => {
  opened = [...document.querySelectorAll("details:not([open])")];
  opened.forEach((details) => { details.open = true; });
});
window.addEventListener("afterprint", () => {
  opened.forEach((details) => { details.open = false; });
  opened = [];
});

if (window.document$) window.document$.subscribe(prepare);
else document.addEventListener("DOMContentLoaded", prepare);
