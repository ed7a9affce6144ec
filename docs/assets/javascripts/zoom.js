// Click or tap a figure to see it at full resolution: an overlay shows the PNG at its natural size
// (scrollable when larger than the screen); a click, a tap or Escape closes it. Plain DOM, no library.
// Figures are the images of the pages' content and the notebook's plots; small icons are left alone.
// A figure with a phone variant is a <picture>: its <img> shows whichever PNG the browser chose
// (currentSrc), and the enlarged view shows that one too.

const ZOOMABLE = ".md-content figure img, .md-content p > img, .md-content p > picture > img, " +
  ".md-content .jp-RenderedImage img";

function openZoom(image) {
  const overlay = document.createElement("div");
  overlay.className = "zoom-overlay";
  overlay.setAttribute("role", "dialog");
  overlay.setAttribute("aria-modal", "true");
  overlay.setAttribute("aria-label", "Enlarged figure; press Escape or click to close");
  overlay.tabIndex = -1;
  const large = document.createElement("img");
  large.src = image.currentSrc || image.src;
  large.alt = image.alt;
  overlay.append(large);

  const close = () => {
    overlay.remove();
    document.removeEventListener("keydown", onKey);
    image.focus();
  };
  const onKey = (event) => {
    if (event.key === "Escape") close();
  };
  overlay.addEventListener("click", close);
  document.addEventListener("keydown", onKey);
  document.body.append(overlay);
  overlay.focus();
}

function makeZoomable(root) {
  for (const image of root.querySelectorAll(ZOOMABLE)) {
    if (image.classList.contains("zoomable")) continue;
    image.classList.add("zoomable");
    image.tabIndex = 0;  // reachable from the keyboard, opened with Enter or Space
    image.title = "Click to enlarge";
    image.addEventListener("click", () => openZoom(image));
    image.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        openZoom(image);
      }
    });
  }
}

// Material emits document$ on load and after every instant navigation.
document$.subscribe(() => makeZoomable(document));
