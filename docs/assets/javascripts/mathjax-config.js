// MathJax 3 configuration. Loaded before the self-hosted bundle (mathjax/tex-svg.js), which reads
// window.MathJax when it starts.
//
// MathJax's default processHtmlClass / ignoreHtmlClass are kept on purpose: Material's usual
// recipe (ignoreHtmlClass ".*|", processHtmlClass "arithmatex") would skip the math of notebook
// pages, whose paragraphs carry no arithmatex class. Code (<pre>, <code>) is skipped by default.

let typesetWanted = false;  // document$ fired before the bundle was ready

function typesetPage() {
  const mj = window.MathJax;
  // Chain on MathJax's own promise: runs never overlap and never start before MathJax is ready.
  mj.startup.promise = mj.startup.promise
    .then(() => {
      // After an instant navigation: forget the old page's math, labels and glyph cache.
      // (The CHTML output calls it clearCache(); the SVG output used here has clearFontCache().)
      const output = mj.startup.output;
      (output.clearCache || output.clearFontCache).call(output);
      mj.typesetClear();
      mj.texReset();
      return mj.typesetPromise();
    })
    .catch((error) => console.error("MathJax typesetting failed:", error));
}

window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
  },
  svg: {
    // Each equation carries its own glyph paths, so nothing depends on a shared cache
    // that instant navigation could swap out from under it.
    fontCache: "local",
  },
  startup: {
    typeset: false,  // every typesetting pass, the first one included, goes through typesetPage()
    ready() {
      MathJax.startup.defaultReady();
      if (typesetWanted) typesetPage();
    },
  },
};

// Material emits document$ once on load and again after each instant navigation.
document$.subscribe(() => {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    typesetPage();
  } else {
    typesetWanted = true;
  }
});
