// Copying text that contains equations puts their TeX on the clipboard.
//
// The equations are SVG drawn at build time (docs/overrides/hooks/math.py): on their own they copy
// as nothing. Each one sits in an element whose data-tex holds its TeX, with delimiters, e.g.
// "\(\mathbf{z}\)"; here every such element in the selection is replaced by that text. A selection
// inside a single equation copies the whole equation's TeX.
// One listener on the document, so it survives Material's instant navigation.

document.addEventListener("copy", (event) => {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || !event.clipboardData) return;

  const range = selection.getRangeAt(0);
  const start = range.commonAncestorContainer;
  const inside = (start.nodeType === Node.ELEMENT_NODE ? start : start.parentElement).closest("[data-tex]");
  let text;
  if (inside) {
    text = inside.dataset.tex;
  } else {
    const fragment = range.cloneContents();
    const equations = fragment.querySelectorAll("[data-tex]");
    if (equations.length === 0) return;  // nothing of ours: the browser copies as usual
    equations.forEach((element) => element.replaceWith(element.dataset.tex));
    // innerText keeps the line breaks between blocks, but only for an element that is rendered:
    // lay the copy out off screen for a moment.
    const holder = document.createElement("div");
    holder.style.cssText = "position: fixed; left: -10000px; top: 0; white-space: pre-wrap;";
    holder.appendChild(fragment);
    document.body.appendChild(holder);
    text = holder.innerText;
    holder.remove();
  }
  event.clipboardData.setData("text/plain", text);
  event.preventDefault();
});
