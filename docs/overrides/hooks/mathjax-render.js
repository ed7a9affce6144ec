// Typesets TeX to SVG with MathJax, for docs/overrides/hooks/math.py, which starts this script once
// per build with every equation that its cache lacks.
//
// stdin:  {"equations": [{"tex": "...", "display": true, "labels": {"name": "3"}}, ...]}
//         `labels` gives the tag of each \label the equation refers to with \ref or \eqref (the
//         labels live in other equations of the page, which are typeset separately).
// stdout: {"results": [{"html": "<mjx-container ...>"} or {"error": "message"}, ...] (in order),
//          "stylesheet": "the CSS that MathJax's SVG output needs"}
//
// Each equation is typeset on its own, so that the output depends on nothing but the input above:
// that is what lets the hook cache it by a hash of that input.

"use strict";

const {mathjax} = require("mathjax-full/js/mathjax.js");
const {TeX} = require("mathjax-full/js/input/tex.js");
const {SVG} = require("mathjax-full/js/output/svg.js");
const {liteAdaptor} = require("mathjax-full/js/adaptors/liteAdaptor.js");
const {RegisterHTMLHandler} = require("mathjax-full/js/handlers/html.js");
const {AssistiveMmlHandler} = require("mathjax-full/js/a11y/assistive-mml.js");
const {AllPackages} = require("mathjax-full/js/input/tex/AllPackages.js");
const {Label} = require("mathjax-full/js/input/tex/Tags.js");

const adaptor = liteAdaptor();
// Assistive MathML: a hidden copy of each equation that screen readers read instead of the SVG.
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

const tex = new TeX({
  // Without noerrors/noundefined, a TeX error or an unknown macro is an error of the build, not red
  // text on the page.
  packages: AllPackages.filter((name) => name !== "noerrors" && name !== "noundefined"),
  // Only explicit \tag{...} numbers an equation: an automatic counter would restart in every
  // equation, since each one is typeset alone.
  tags: "none",
  formatError: (jax, error) => { throw error; },
});
// fontCache "none": every glyph is a path of its own equation, so each equation stands alone in the
// cache; the hook then shares the outlines among the equations of a page (share_glyphs).
const svg = new SVG({fontCache: "none"});
const html = mathjax.document("", {InputJax: tex, OutputJax: svg});

function typeset({tex: source, display, labels}) {
  const tags = tex.parseOptions.tags;
  tags.reset();
  for (const [name, tag] of Object.entries(labels || {})) {
    tags.allLabels[name] = new Label(tag, tags.formatId(name));
  }
  const node = html.convert(source, {display: Boolean(display)});
  return adaptor.outerHTML(node);
}

function main(input) {
  const {equations} = JSON.parse(input);
  const results = equations.map((equation) => {
    try {
      return {html: typeset(equation)};
    } catch (error) {
      return {error: String(error.message || error).replace(/\s+/g, " ")};
    }
  });
  const stylesheet = adaptor.textContent(svg.styleSheet(html));
  process.stdout.write(JSON.stringify({results, stylesheet}));
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => main(input));
