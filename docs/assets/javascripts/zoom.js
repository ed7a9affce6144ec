// The zoom view: click, tap, Enter or Space on a figure opens it over the page, fitted to the screen,
// with its caption. Pinch (or Ctrl + wheel, the + and - buttons or keys) zooms, a drag pans, a double
// tap or "1:1" shows it at full resolution, and the close button, Escape or a click on the backdrop
// (beside the image, or in the bar beside its buttons) closes it; focus stays in the view while it is
// open and returns to the figure afterwards.
// Plain DOM, no library. The image shown is the one the page chose (currentSrc), so a figure given
// as a <picture> with a phone source opens in the same variant; data-zoom-src names a larger one.

const ZOOMABLE = [
  ".md-content figure img", ".md-content p > img", ".md-content p > picture > img",
  ".md-content .jp-RenderedImage img",
].join(", ");
const MAX_SCALE = 2;  // at most twice full resolution

function captionOf(image) {
  const caption = image.closest("figure")?.querySelector("figcaption");
  if (caption) return [...caption.cloneNode(true).childNodes];
  return image.alt ? [image.alt] : [];
}

function button(label, text, action) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = "zoom-button";
  node.setAttribute("aria-label", label);
  node.title = label;
  node.textContent = text;
  node.addEventListener("click", (event) => { event.stopPropagation(); action(); });
  return node;
}

function openZoom(image) {
  const overlay = document.createElement("div");
  overlay.className = "zoom-overlay";
  overlay.setAttribute("role", "dialog");
  overlay.setAttribute("aria-modal", "true");
  overlay.setAttribute("aria-label", "Enlarged figure");

  const stage = document.createElement("div");
  stage.className = "zoom-stage";
  const large = document.createElement("img");
  large.src = image.dataset.zoomSrc || image.currentSrc || image.src;
  large.alt = image.alt;
  large.draggable = false;
  stage.append(large);

  const caption = document.createElement("div");
  caption.className = "zoom-caption md-typeset";
  caption.id = `zoom-caption-${Date.now()}`;
  caption.append(...captionOf(image));
  if (caption.childNodes.length) overlay.setAttribute("aria-describedby", caption.id);

  // The view: the image's scale (1 = full resolution, one image pixel per CSS pixel) and offset.
  const view = { scale: 1, fit: 1, x: 0, y: 0 };
  const apply = () => {
    large.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
    overlay.dataset.zoom = view.scale <= view.fit + 1e-6 ? "fit" : "zoomed";
    actual.setAttribute("aria-pressed", String(Math.abs(view.scale - 1) < 1e-6));
  };
  // Keep the image within reach: centred when it is smaller than the stage, edges no further in.
  const clamp = () => {
    const width = large.naturalWidth * view.scale, height = large.naturalHeight * view.scale;
    const box = stage.getBoundingClientRect();
    const limitX = Math.max(0, (width - box.width) / 2), limitY = Math.max(0, (height - box.height) / 2);
    view.x = Math.min(limitX, Math.max(-limitX, view.x));
    view.y = Math.min(limitY, Math.max(-limitY, view.y));
  };
  // Scale by `factor` around the point (px, py) of the stage (its centre by default).
  const zoomBy = (factor, px, py) => {
    const box = stage.getBoundingClientRect();
    const next = Math.min(MAX_SCALE, Math.max(view.fit, view.scale * factor));
    const cx = (px ?? box.left + box.width / 2) - (box.left + box.width / 2);
    const cy = (py ?? box.top + box.height / 2) - (box.top + box.height / 2);
    view.x = cx - (cx - view.x) * (next / view.scale);
    view.y = cy - (cy - view.y) * (next / view.scale);
    view.scale = next;
    clamp();
    apply();
  };
  const fit = () => {
    const box = stage.getBoundingClientRect();
    view.fit = Math.min(1, box.width / large.naturalWidth, box.height / large.naturalHeight);
    Object.assign(view, { scale: view.fit, x: 0, y: 0 });
    apply();
  };
  const toggleActual = () => {
    if (Math.abs(view.scale - 1) < 1e-6) fit();
    else zoomBy(1 / view.scale);
  };

  const zoomOut = button("Zoom out", "−", () => zoomBy(1 / 1.5));
  const zoomIn = button("Zoom in", "+", () => zoomBy(1.5));
  const actual = button("Full resolution", "1:1", toggleActual);
  const close = button("Close", "×", () => done());
  close.classList.add("zoom-close");
  const bar = document.createElement("div");
  bar.className = "zoom-bar";
  bar.append(zoomOut, zoomIn, actual, close);
  overlay.append(bar, stage, caption);

  // Pointers: one drags the image, two pinch it; a double tap or double click on it shows full resolution.
  // The stage captures each pointer, so its pointerup and click name the stage as their target even on
  // the image: where a press began is noted before the capture, to tell the image from the backdrop.
  const pointers = new Map();
  let pinch = null, moved = false, lastTap = 0, onImage = false;
  stage.addEventListener("pointerdown", (event) => {
    onImage = event.target === large;
    stage.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, [event.clientX, event.clientY]);
    moved = false;
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { distance: Math.hypot(a[0] - b[0], a[1] - b[1]), scale: view.scale };
    }
  });
  stage.addEventListener("pointermove", (event) => {
    const last = pointers.get(event.pointerId);
    if (!last) return;
    pointers.set(event.pointerId, [event.clientX, event.clientY]);
    if (pointers.size === 2 && pinch) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
      zoomBy((pinch.scale * distance / pinch.distance) / view.scale, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      moved = true;
    } else if (pointers.size === 1) {
      const dx = event.clientX - last[0], dy = event.clientY - last[1];
      if (Math.abs(dx) + Math.abs(dy) > 0) moved = moved || Math.abs(dx) + Math.abs(dy) > 3;
      view.x += dx;
      view.y += dy;
      clamp();
      apply();
    }
  });
  const release = (event) => {
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = null;
  };
  stage.addEventListener("pointerup", (event) => {
    release(event);
    if (moved || pointers.size || !onImage) return;
    const now = performance.now();
    if (now - lastTap < 350) { toggleActual(); lastTap = 0; } else lastTap = now;
  });
  stage.addEventListener("pointercancel", release);
  stage.addEventListener("wheel", (event) => {
    event.preventDefault();
    if (event.ctrlKey || event.metaKey) {
      zoomBy(Math.exp(-event.deltaY / 200), event.clientX, event.clientY);
    } else {
      view.x -= event.deltaX;
      view.y -= event.deltaY;
      clamp();
      apply();
    }
  }, { passive: false });
  // A click on the backdrop closes the view: beside the image, or in the bar beside its buttons (which
  // stop their own clicks). On a phone a tall figure fills the stage from edge to edge, and the bar's
  // empty end is then the only backdrop left to tap; the caption is for reading and keeps the view open.
  overlay.addEventListener("click", (event) => {
    if (event.target === overlay || event.target === bar || (event.target === stage && !onImage && !moved)) done();
  });

  const onKey = (event) => {
    if (event.key === "Escape") { event.preventDefault(); done(); return; }
    if (event.key === "+" || event.key === "=") { zoomBy(1.5); return; }
    if (event.key === "-") { zoomBy(1 / 1.5); return; }
    if (event.key === "0") { fit(); return; }
    const step = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] }[event.key];
    if (step && overlay.dataset.zoom === "zoomed") {
      event.preventDefault();
      view.x += step[0];
      view.y += step[1];
      clamp();
      apply();
      return;
    }
    if (event.key === "Tab") {  // focus stays in the view
      const stops = [...bar.querySelectorAll("button")];
      const index = stops.indexOf(document.activeElement);
      const next = (index + (event.shiftKey ? -1 : 1) + stops.length) % stops.length;
      event.preventDefault();
      stops[next].focus();
    }
  };
  const onResize = () => fit();
  const done = () => {
    overlay.remove();
    document.removeEventListener("keydown", onKey, true);
    window.removeEventListener("resize", onResize);
    document.documentElement.classList.remove("zoom-open");
    image.focus();
  };

  document.addEventListener("keydown", onKey, true);
  window.addEventListener("resize", onResize);
  document.documentElement.classList.add("zoom-open");
  document.body.append(overlay);
  const start = () => { fit(); close.focus(); };
  if (large.complete && large.naturalWidth) start();
  else large.addEventListener("load", start, { once: true });
}

function makeZoomable(root) {
  for (const image of root.querySelectorAll(ZOOMABLE)) {
    if (image.classList.contains("zoomable")) continue;
    image.classList.add("zoomable");
    image.tabIndex = 0;  // reachable from the keyboard, opened with Enter or Space
    image.setAttribute("role", "button");
    image.setAttribute("aria-haspopup", "dialog");
    image.title = "Enlarge";
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
