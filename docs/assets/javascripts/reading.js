// Small aids to reading the pages with a keyboard, a screen reader or a printer. Plain DOM, no library;
// it runs on every page and again after each of Material's instant navigations (document$).
//
// - A box that scrolls sideways (a listing, a wide equation, a table on a phone) can be scrolled from
//   the keyboard: it becomes a Tab stop. Material does this for listings only on devices with a mouse,
//   and not for equations or tables. Boxes are measured when the page is idle, after it has loaded.
// - A listing's copy button (hooks/code.py puts it in the page) copies the listing.
// - On phones and tablets, the page's contents are one tap away wherever the reader is (below).
// - Folded notes (<details>) are opened for printing, and closed again afterwards.

const SCROLLERS = [
  ".md-content pre > code",
  ".md-content div.arithmatex",
  ".md-content .md-typeset__scrollwrap",
  ".md-content .jupyter-wrapper .highlight-ipynb",
].join(", ");

// Whether `box` is wider inside than outside, or null when it cannot be told yet: a box in a block
// that the browser skips while it is off screen (content-visibility: auto; docs/overrides/hooks/
// offscreen.py) reports no overflow, or is laid out on the spot to find out, which costs what skipping
// it saved; it is measured when the reader reaches it (below).
function overflows(box) {
  const block = box.closest("[data-offscreen]");
  if (block && window.aeSkipped?.has(block)) return null;  // (main.html keeps the set)
  return box.scrollWidth > box.clientWidth + 1;
}

function markScrollers(roots) {
  const boxes = roots.flatMap((root) => [root, ...root.querySelectorAll(SCROLLERS)])
    .filter((node) => node.matches?.(SCROLLERS));
  // Every box measured first, then every change made: a change between two measurements would make
  // the browser lay the page out again for the next one.
  const measured = boxes.map((box) => [box, overflows(box)]);
  for (const [box, scrolls] of measured) {
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
  setUpContents();
  delete document.documentElement.dataset.scrollers;
  idle(() => markScrollers([document]), { timeout: 2000 });
}

// A block skipped while off screen is measured when the reader reaches it: the blocks reached in one
// frame together, once that frame is drawn (their layout is then there, and measuring costs nothing).
const reached = new Set();
document.addEventListener("contentvisibilityautostatechange", (event) => {
  if (event.skipped || !(event.target.matches(SCROLLERS) || event.target.querySelector(SCROLLERS))) return;
  if (!reached.size) {
    requestAnimationFrame(() => setTimeout(() => {
      const roots = [...reached];
      reached.clear();
      markScrollers(roots);
    }));
  }
  reached.add(event.target);
}, true);

let resizing;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => idle(() => markScrollers([document])), 300);
});

// ------------------------------------------------------------------ the contents on phones and tablets
// main.html puts the page's contents, folded, at the top of the page (for screens narrower than the
// one where Material shows them beside the text). Once that list has scrolled out of view, a button
// that stays on screen opens it as a sheet over the page, with the reader's section marked; a choice,
// Escape, the button or a tap outside closes it.

let contents = null;  // { nav, button, observer, wasOpen }

// The reader's section: the last heading of the list whose top has passed the upper third of the
// screen (measured when the list opens, so that scrolling costs nothing).
function markSection(nav) {
  let current = null;
  for (const link of nav.querySelectorAll("a")) {  // (hrefs are absolute once Material has started)
    const heading = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (heading && heading.getBoundingClientRect().top < innerHeight / 3) current = link;
    link.removeAttribute("aria-current");
  }
  current?.setAttribute("aria-current", "location");
  return current;
}

function closeContents(focus = true) {
  if (!contents || !contents.nav.classList.contains("ae-contents--open")) return;
  contents.nav.classList.remove("ae-contents--open");
  contents.nav.querySelector("details").open = contents.wasOpen;
  contents.button.setAttribute("aria-expanded", "false");
  if (focus) contents.button.focus();
}

function openContents() {
  const { nav, button } = contents;
  const details = nav.querySelector("details");
  contents.wasOpen = details.open;
  details.open = true;
  nav.classList.add("ae-contents--open");
  button.setAttribute("aria-expanded", "true");
  const current = markSection(nav) || nav.querySelector("a");
  current?.scrollIntoView({ block: "nearest" });
  current?.focus();
}

function setUpContents() {
  contents?.observer.disconnect();
  contents?.button.remove();
  contents = null;
  const nav = document.querySelector(".md-content .ae-contents");
  if (!nav) return;
  nav.id ||= "ae-contents";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "ae-contents-button";
  button.textContent = "Contents";
  button.setAttribute("aria-controls", nav.id);
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => (nav.classList.contains("ae-contents--open") ? closeContents() : openContents()));
  document.body.append(button);

  // The button shows once the folded list at the top is out of view.
  const observer = new IntersectionObserver(([entry]) => {
    button.classList.toggle("ae-contents-button--shown", !entry.isIntersecting);
  });
  observer.observe(nav);

  nav.addEventListener("click", (event) => {
    if (event.target.closest("a")) closeContents(false);
  });
  contents = { nav, button, observer, wasOpen: false };
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeContents();
});
document.addEventListener("pointerdown", (event) => {
  if (contents && !contents.nav.contains(event.target) && event.target !== contents.button) closeContents(false);
});

// ------------------------------------------------------------------ copying a listing
// hooks/code.py puts a copy button in each listing; a press puts the listing's text on the clipboard
// and says so (to screen readers too).
const said = document.createElement("div");
said.className = "ae-visually-hidden";  // text only screen readers get (extra.css)
said.setAttribute("aria-live", "polite");
document.addEventListener("click", async (event) => {
  const button = event.target.closest?.(".md-code__button[data-md-type='copy']");
  const code = button?.closest("pre")?.querySelector(":scope > code");
  if (!code) return;
  if (!said.isConnected) document.body.append(said);
  try {
    await navigator.clipboard.writeText(code.innerText.replace(/\n$/, ""));
    said.textContent = "Copied to clipboard";
    button.classList.add("md-code__button--active");
    setTimeout(() => { button.classList.remove("md-code__button--active"); said.textContent = ""; }, 2000);
  } catch (error) {
    said.textContent = "Copying failed: select the code and copy it";
  }
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
