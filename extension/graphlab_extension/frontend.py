"""The browser side of the widgets: self-contained ES modules and CSS (no imports from URLs).

Every element a person (or a browser test) interacts with has a stable `gl-*` class or `data-*`
attribute; extension/README.md lists them.
"""

CSS = """
.gl-root { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; font-size: 13px;
  color: #1c2833; }
.gl-root button { font-size: 12px; padding: 2px 8px; margin-right: 4px; cursor: pointer; }
.gl-root pre { font-family: Menlo, Consolas, monospace; font-size: 12px; margin: 0;
  white-space: pre; overflow: auto; background: #f8f9f9; border: 1px solid #e5e8e8; padding: 6px; }
.gl-title { font-weight: 600; margin-bottom: 4px; }
.gl-crumbs { display: flex; align-items: center; gap: 4px; margin: 4px 0; flex-wrap: wrap; }
.gl-crumb.gl-current { font-weight: 600; }
.gl-crumb-sep { color: #7f8c8d; }
.gl-open-body { margin-top: 6px; }
.gl-tabs { margin: 4px 0; }
.gl-tab.gl-active { background: #1f5fbf; color: white; border-color: #1f5fbf; }
.gl-toolbar { display: flex; align-items: center; gap: 6px; margin: 4px 0; flex-wrap: wrap; }
.gl-step-slider { width: 260px; }
.gl-rule { margin: 4px 0; }
.gl-rule-name { font-weight: 600; color: #1f5fbf; }
.gl-rule-doc { margin-left: 8px; font-family: Menlo, Consolas, monospace; }
.gl-body { display: flex; gap: 10px; align-items: flex-start; }
.gl-picture { overflow: auto; max-height: 640px; max-width: 100%; border: 1px solid #e5e8e8;
  flex: 1 1 auto; min-width: 200px; background: white; }
.gl-picture svg g.node { cursor: pointer; }
.gl-picture svg g.node.gl-has-body polygon, .gl-picture svg g.node.gl-has-body ellipse {
  stroke-width: 3px; }
.gl-picture svg g.node.gl-selected polygon, .gl-picture svg g.node.gl-selected ellipse,
.gl-picture svg g.node.gl-selected path { stroke: #f39c12; stroke-width: 4px; }
.gl-picture svg g.node.gl-match polygon, .gl-picture svg g.node.gl-match ellipse,
.gl-picture svg g.node.gl-match path { stroke: #8e44ad; stroke-width: 4px; }
.gl-side { flex: 0 0 300px; max-width: 340px; }
.gl-details table { border-collapse: collapse; font-size: 12px; }
.gl-details td { border-top: 1px solid #eee; padding: 2px 4px; vertical-align: top; }
.gl-details td:first-child { color: #566573; white-space: nowrap; }
.gl-hint { color: #7f8c8d; font-style: italic; }
.gl-diff .gl-diff-add { color: #16a34a; } .gl-diff .gl-diff-del { color: #dc2626; }
.gl-message { color: #a04000; margin: 4px 0; }
.gl-hidden { display: none !important; }
.gl-function .gl-input-row, .gl-function .gl-output { margin: 3px 0; }
.gl-function .gl-input-name, .gl-function .gl-output-name { font-weight: 600; min-width: 80px;
  display: inline-block; }
.gl-function textarea { width: 320px; height: 44px; font-family: Menlo, Consolas, monospace; }
.gl-error { color: #c0392b; white-space: pre-wrap; }
.gl-shared { display: inline-block; border: 1px solid #e5e8e8; padding: 6px; }
.gl-shared-summary { color: #566573; font-size: 12px; }
.gl-shared-number { font-size: 20px; font-family: Menlo, Consolas, monospace; }
"""

_COMMON_JS = r"""
function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}
function addStyle(el, css) { const s = document.createElement("style"); s.textContent = css; el.appendChild(s); }
// A widget's root element (class gl-root plus `kind`) with its style, attached to `el`.
function mountRoot(model, el, kind) {
  const root = h("div", "gl-root " + kind);
  addStyle(root, model.get("css"));
  el.appendChild(root);
  return root;
}
"""

EXPLORER_JS = _COMMON_JS + r"""
const MODES = [["before", "Before"], ["after", "After"], ["steps", "Rewrites"], ["code", "C code"],
  ["time", "Time"]];

// The selected node's details; a node holding a compiled body (a loop's) offers to open it.
function renderDetails(box, details, model) {
  box.innerHTML = "";
  if (!details || !details.id) {
    box.appendChild(h("div", "gl-hint", "Click a node to see its details."));
    return;
  }
  if (model.get("bodies").includes(details.id)) {
    const open = h("button", "gl-open-body", `Open the body of ${details.label} ▸`);
    open.dataset.nodeId = details.id;
    open.addEventListener("click", () => {
      model.set("path", [...model.get("path"), details.id]);
      model.save_changes();
    });
    box.appendChild(open);
  }
  const table = h("table", "gl-details-table");
  table.dataset.nodeId = details.id;
  for (const [key, value] of Object.entries(details)) {
    const row = h("tr", "gl-detail-row");
    row.dataset.key = key;
    row.appendChild(h("td", "gl-detail-key", key));
    const text = typeof value === "object" ? JSON.stringify(value) : String(value);
    row.appendChild(h("td", "gl-detail-value", text));
    table.appendChild(row);
  }
  box.appendChild(table);
}

function renderDiff(pre, diff) {
  pre.innerHTML = "";
  for (const line of (diff || "").split("\n")) {
    const cls = line.startsWith("+") && !line.startsWith("+++") ? "gl-diff-add"
      : line.startsWith("-") && !line.startsWith("---") ? "gl-diff-del" : "";
    pre.appendChild(h("span", cls, line + "\n"));
  }
}

function render({ model, el }) {
  const root = mountRoot(model, el, "gl-explorer");
  const title = h("div", "gl-title", model.get("title"));
  root.appendChild(title);
  // Where the picture is: the function, then each body opened from it; earlier ones go back.
  const crumbs = h("div", "gl-crumbs");
  root.appendChild(crumbs);
  const goTo = (depth) => { model.set("path", model.get("path").slice(0, depth)); model.save_changes(); };
  function drawCrumbs() {
    const path = model.get("path");
    root.dataset.depth = String(path.length);
    title.textContent = model.get("title");
    crumbs.innerHTML = "";
    crumbs.classList.toggle("gl-hidden", path.length === 0);
    const back = h("button", "gl-back", "◀ Back");
    back.addEventListener("click", () => goTo(path.length - 1));
    crumbs.appendChild(back);
    model.get("crumbs").forEach((name, depth) => {
      if (depth > 0) crumbs.appendChild(h("span", "gl-crumb-sep", "›"));
      const current = depth === path.length;
      const crumb = h(current ? "span" : "button", "gl-crumb" + (current ? " gl-current" : ""), name);
      crumb.dataset.depth = String(depth);
      if (!current) crumb.addEventListener("click", () => goTo(depth));
      crumbs.appendChild(crumb);
    });
  }
  const tabs = h("div", "gl-tabs");
  const tabButtons = {};
  for (const [mode, text] of MODES) {
    const b = h("button", "gl-tab", text);
    b.dataset.mode = mode;
    b.addEventListener("click", () => { model.set("mode", mode); model.save_changes(); });
    tabButtons[mode] = b;
    tabs.appendChild(b);
  }
  const search = h("input", "gl-search");
  search.type = "search";
  search.placeholder = "search variables by name";
  search.addEventListener("input", () => { model.set("query", search.value); model.save_changes(); });
  tabs.appendChild(search);
  root.appendChild(tabs);

  const steps = h("div", "gl-toolbar gl-steps");
  const prev = h("button", "gl-prev", "◀ Previous");
  const slider = h("input", "gl-step-slider");
  slider.type = "range"; slider.min = 0; slider.step = 1;
  const next = h("button", "gl-next", "Next ▶");
  const stepLabel = h("span", "gl-step-label");
  steps.append(prev, slider, next, stepLabel);
  const setStep = (s) => {
    const n = model.get("n_steps");
    model.set("step", Math.max(0, Math.min(n, s)));
    model.save_changes();
  };
  prev.addEventListener("click", () => setStep(model.get("step") - 1));
  next.addEventListener("click", () => setStep(model.get("step") + 1));
  slider.addEventListener("input", () => setStep(parseInt(slider.value, 10)));
  // JupyterLab's command-mode shortcuts would take the arrow keys from the notebook: step here
  // and keep the event from reaching them.
  steps.addEventListener("keydown", (event) => {
    const delta = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 }[event.key];
    if (delta === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    setStep(model.get("step") + delta);
  });
  root.appendChild(steps);
  const rule = h("div", "gl-rule");
  const ruleName = h("span", "gl-rule-name");
  const ruleDoc = h("span", "gl-rule-doc");
  rule.append(ruleName, ruleDoc);
  root.appendChild(rule);
  const message = h("div", "gl-message");
  root.appendChild(message);

  const body = h("div", "gl-body");
  const picture = h("div", "gl-picture");
  const textView = h("pre", "gl-text");
  const code = h("pre", "gl-code");
  const profile = h("pre", "gl-profile");
  const main = h("div", "gl-main");
  main.append(picture, textView, code, profile);
  const side = h("div", "gl-side");
  const details = h("div", "gl-details");
  const diffTitle = h("div", "gl-diff-title", "Printed graph, before → after this step");
  const diff = h("pre", "gl-diff");
  side.append(details, diffTitle, diff);
  body.append(main, side);
  root.appendChild(body);

  function markNodes() {
    const selected = model.get("selected");
    const matches = new Set(model.get("matches"));
    const bodies = new Set(model.get("bodies"));
    for (const g of picture.querySelectorAll("g.node")) {
      const id = g.getAttribute("data-node-id") || g.id;
      g.setAttribute("data-node-id", id);
      g.classList.toggle("gl-selected", id === selected);
      g.classList.toggle("gl-match", matches.has(id));
      g.classList.toggle("gl-has-body", bodies.has(id));
    }
  }
  function drawPicture() {
    picture.innerHTML = model.get("svg");
    picture.dataset.step = String(model.get("step"));
    picture.dataset.mode = model.get("mode");
    picture.classList.toggle("gl-hidden", !model.get("svg"));
    textView.textContent = model.get("text");
    textView.classList.toggle("gl-hidden", !!model.get("svg") || !model.get("text"));
    markNodes();
  }
  picture.addEventListener("click", (event) => {
    const g = event.target.closest("g.node");
    if (!g) return;
    const id = g.getAttribute("data-node-id") || g.id;
    if (g.classList.contains("gl-collapsed")) {
      model.set("expanded", [...model.get("expanded"), id]);
    } else {
      model.set("selected", id);
    }
    model.save_changes();
  });
  function update() {
    const mode = model.get("mode");
    const n = model.get("n_steps");
    root.dataset.mode = mode;
    root.dataset.step = String(model.get("step"));
    for (const [m, b] of Object.entries(tabButtons)) b.classList.toggle("gl-active", m === mode);
    tabButtons.code.classList.toggle("gl-hidden", !model.get("show_code_tab"));
    tabButtons.time.classList.toggle("gl-hidden", !model.get("show_time_tab"));
    profile.textContent = model.get("profile_text");
    profile.classList.toggle("gl-hidden", mode !== "time");
    steps.classList.toggle("gl-hidden", mode !== "steps");
    rule.classList.toggle("gl-hidden", mode !== "steps");
    diffTitle.classList.toggle("gl-hidden", mode !== "steps");
    diff.classList.toggle("gl-hidden", mode !== "steps");
    slider.max = n;
    slider.value = model.get("step");
    prev.disabled = model.get("step") <= 0;
    next.disabled = model.get("step") >= n;
    stepLabel.textContent = `step ${model.get("step")} of ${n}`;
    ruleName.textContent = model.get("rule");
    ruleDoc.textContent = model.get("doc");
    renderDiff(diff, model.get("diff"));
    code.textContent = model.get("c_source");
    code.classList.toggle("gl-hidden", mode !== "code");
    picture.parentElement.classList.toggle("gl-code-mode", mode === "code");
    message.textContent = model.get("message");
    message.classList.toggle("gl-hidden", !model.get("message"));
    if (mode === "code") { picture.classList.add("gl-hidden"); textView.classList.add("gl-hidden"); }
  }
  model.on("change:svg", () => { drawPicture(); update(); });
  model.on("change:text", () => { drawPicture(); update(); });
  for (const name of ["mode", "step", "n_steps", "rule", "doc", "diff", "c_source", "message",
                      "show_time_tab", "profile_text"]) {
    model.on("change:" + name, () => { update(); if (name === "mode") drawPicture(); update(); });
  }
  const drawDetails = () => renderDetails(details, model.get("details"), model);
  model.on("change:details", drawDetails);
  model.on("change:bodies", () => { drawDetails(); markNodes(); });
  model.on("change:selected", markNodes);
  model.on("change:matches", markNodes);
  model.on("change:title", drawCrumbs);
  model.on("change:crumbs", drawCrumbs);
  model.on("change:path", drawCrumbs);
  drawCrumbs();
  drawPicture();
  update();
  drawDetails();
}
export default { render };
"""

FUNCTION_JS = _COMMON_JS + r"""
function render({ model, el }) {
  const root = mountRoot(model, el, "gl-function");
  root.appendChild(h("div", "gl-title", model.get("title")));
  const inputsBox = h("div", "gl-inputs");
  const runRow = h("div", "gl-toolbar");
  const run = h("button", "gl-run", "Run");
  const note = h("span", "gl-hint");
  runRow.append(run, note);
  const outputsBox = h("div", "gl-outputs");
  const error = h("div", "gl-error");
  root.append(inputsBox, runRow, error, outputsBox);
  run.addEventListener("click", () => model.send({ kind: "run" }));
  const send = (name, value) => model.send({ kind: "set", name, value });

  function scalarRow(spec) {
    const row = h("div", "gl-input-row gl-input-scalar");
    row.dataset.input = spec.name;
    row.appendChild(h("span", "gl-input-name", spec.name));
    const slider = h("input", "gl-input-slider");
    slider.type = "range"; slider.dataset.input = spec.name;
    slider.min = spec.min; slider.max = spec.max; slider.step = spec.step; slider.value = spec.value;
    const box = h("input", "gl-input-number");
    box.type = "number"; box.dataset.input = spec.name; box.step = spec.step; box.value = spec.value;
    slider.addEventListener("input", () => { box.value = slider.value; send(spec.name, slider.value); });
    box.addEventListener("change", () => { slider.value = box.value; send(spec.name, box.value); });
    row.append(slider, box, h("span", "gl-hint", spec.dtype));
    return row;
  }
  function arrayRow(spec) {
    const row = h("div", "gl-input-row gl-input-array");
    row.dataset.input = spec.name;
    row.appendChild(h("span", "gl-input-name", spec.name));
    const shape = h("span", "gl-shape", `shape (${spec.shape.join(", ")}${spec.shape.length === 1 ? "," : ""}) ${spec.dtype}`);
    const summary = h("span", "gl-summary", " " + spec.summary);
    const line = h("div", "gl-toolbar");
    const shapeBox = h("input", "gl-array-shape");
    shapeBox.value = spec.shape.join(", "); shapeBox.size = 8; shapeBox.title = "shape";
    line.appendChild(shapeBox);
    for (const fill of ["zeros", "ones", "random"]) {
      const b = h("button", "gl-array-fill", fill);
      b.dataset.fill = fill; b.dataset.input = spec.name;
      b.addEventListener("click", () => model.send({ kind: "fill", name: spec.name, fill, shape: shapeBox.value }));
      line.appendChild(b);
    }
    const text = h("textarea", "gl-array-text");
    text.dataset.input = spec.name; text.value = spec.text;
    const set = h("button", "gl-array-set", "Set");
    set.dataset.input = spec.name;
    set.addEventListener("click", () => send(spec.name, text.value));
    row.append(shape, summary, line, text, set);
    return row;
  }
  function drawInputs() {
    const focused = document.activeElement && root.contains(document.activeElement);
    const specs = model.get("inputs");
    if (focused && inputsBox.childElementCount === specs.length) {
      // keep the control being dragged; refresh summaries only
      for (const spec of specs) {
        const row = inputsBox.querySelector(`.gl-input-row[data-input="${CSS.escape(spec.name)}"]`);
        if (row && spec.kind === "array") {
          row.querySelector(".gl-summary").textContent = " " + spec.summary;
          row.querySelector(".gl-shape").textContent = `shape (${spec.shape.join(", ")}${spec.shape.length === 1 ? "," : ""}) ${spec.dtype}`;
        }
      }
      return;
    }
    inputsBox.innerHTML = "";
    for (const spec of specs) inputsBox.appendChild(spec.kind === "scalar" ? scalarRow(spec) : arrayRow(spec));
  }
  function drawOutputs() {
    outputsBox.innerHTML = "";
    for (const [i, out] of model.get("outputs").entries()) {
      const row = h("div", "gl-output");
      row.dataset.output = String(i);
      row.dataset.name = out.name;
      row.appendChild(h("span", "gl-output-name", out.name + " ="));
      const value = h("pre", "gl-output-value", out.text);
      row.appendChild(value);
      outputsBox.appendChild(row);
    }
    root.dataset.runs = String(model.get("runs"));
    error.textContent = model.get("error");
    run.classList.toggle("gl-hidden", model.get("auto"));
    note.textContent = model.get("auto") ? "outputs follow the controls"
      : "this function updates shared variables: press Run to call it";
  }
  model.on("change:inputs", drawInputs);
  model.on("change:outputs", drawOutputs);
  model.on("change:error", drawOutputs);
  model.on("change:runs", drawOutputs);
  drawInputs();
  drawOutputs();
}
export default { render };
"""

SHARED_JS = _COMMON_JS + r"""
function colour(t) {  // t in [0, 1] -> a blue-white-red scale
  const c = (a, b) => Math.round(a + (b - a) * Math.abs(t - 0.5) * 2);
  return t < 0.5 ? `rgb(${c(255, 33)},${c(255, 102)},${c(255, 172)})`
                 : `rgb(${c(255, 178)},${c(255, 24)},${c(255, 43)})`;
}
function render({ model, el }) {
  const root = mountRoot(model, el, "gl-shared");
  const title = h("div", "gl-title");
  const summary = h("div", "gl-shared-summary");
  const view = h("div", "gl-shared-view");
  root.append(title, view, summary);
  let numberBox = null;

  function draw() {
    const kind = model.get("kind");
    root.dataset.name = model.get("name");
    root.dataset.kind = kind;
    root.dataset.version = String(model.get("version"));
    title.textContent = `${model.get("name")}  (${model.get("dtype")}${model.get("shape").length ? ", shape " + model.get("shape").join("×") : ""})`;
    summary.textContent = model.get("summary");
    if (kind === "scalar") {
      if (!numberBox) {
        view.innerHTML = "";
        numberBox = h("input", "gl-shared-number gl-shared-scalar");
        numberBox.type = "number"; numberBox.step = "any";
        numberBox.addEventListener("change", () => model.send({ kind: "set", value: numberBox.value }));
        view.appendChild(numberBox);
      }
      if (document.activeElement !== numberBox) numberBox.value = model.get("value");
      return;
    }
    const data = model.get("data");
    const lo = model.get("vmin"), hi = model.get("vmax");
    const span = hi > lo ? hi - lo : 1;
    view.innerHTML = "";
    if (kind === "vector") {
      const W = 300, H = 80;
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("class", "gl-shared-plot");
      svg.setAttribute("width", W); svg.setAttribute("height", H);
      const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
      const n = Math.max(1, data.length - 1);
      line.setAttribute("points", data.map((v, i) => `${(i / n) * (W - 4) + 2},${H - 2 - ((v - lo) / span) * (H - 4)}`).join(" "));
      line.setAttribute("fill", "none"); line.setAttribute("stroke", "#1f5fbf");
      svg.appendChild(line);
      view.appendChild(svg);
    } else if (kind === "matrix") {
      const [rows, cols] = [model.get("rows"), model.get("cols")];
      const canvas = h("canvas", "gl-shared-heatmap");
      const cell = Math.max(2, Math.floor(240 / Math.max(rows, cols)));
      canvas.width = cols * cell; canvas.height = rows * cell;
      const ctx = canvas.getContext("2d");
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
        ctx.fillStyle = colour((data[r * cols + c] - lo) / span);
        ctx.fillRect(c * cell, r * cell, cell, cell);
      }
      view.appendChild(canvas);
    }
  }
  model.on("change", draw);
  draw();
}
export default { render };
"""
