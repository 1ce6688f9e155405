// The draw-a-digit page: a drawing pad, an upload, and the result of POST /predict; in Number mode a
// wider pad and POST /read (shown by number.js). No framework and no build step; URLs are relative so
// the page also works behind a path prefix.
(function () {
  "use strict";

  const PREDICT_URL = "predict?return_input=true";
  const READ_URL = "read?return_input=true";
  const PAD_SIDE = 448; // canvas pixels; Number mode's pad is NUMBER_WIDTH wide
  const NUMBER_WIDTH = 3 * PAD_SIDE;
  const MODEL_URL = "model";
  const AUTO_DELAY_MS = 300;
  const INK_WIDTH = 0.075; // of the pad's side: thick strokes, like MNIST's pen
  const INK = "#ffffff";
  const PAPER = "#000000";

  const $ = (id) => document.getElementById(id);
  const pad = $("pad");
  const ctx = pad.getContext("2d");
  const ui = {
    hint: $("pad-hint"), undo: $("undo"), clear: $("clear"), classify: $("classify"), auto: $("auto"),
    file: $("file"), status: $("status"), result: $("result"), verdict: $("verdict"), digit: $("digit"),
    confidence: $("confidence"), seen: $("seen"), sent: $("sent"), sentFigure: $("sent-figure"),
    probs: $("probs"), model: $("model-info"), overlay: $("drop-overlay"), boxes: $("boxes"),
    layout: $("layout"), title: $("draw-title"), numberResult: $("number-result"), numberStatus: $("number-status"),
    modes: document.querySelectorAll("input[name=mode]"),
  };
  const views = window.NumberView;

  const strokes = []; // each stroke: an array of [x, y] in canvas pixels
  let active = null; // {id, points} while a pointer draws
  let autoTimer = 0;
  let request = null; // {controller, seq} of the request in flight
  let seq = 0;
  let sentUrl = "";
  let mode = "digit"; // or "number"

  // ---- drawing -------------------------------------------------------------------------------

  function point(event) {
    const box = pad.getBoundingClientRect();
    return [
      (event.clientX - box.left) * (pad.width / box.width),
      (event.clientY - box.top) * (pad.height / box.height),
    ];
  }

  function drawStroke(points) {
    const [x0, y0] = points[0];
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(x0, y0, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    for (let i = 1; i < points.length - 1; i++) {
      const [x, y] = points[i];
      const [nx, ny] = points[i + 1];
      ctx.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2); // through midpoints: smooth curves
    }
    const [xl, yl] = points[points.length - 1];
    ctx.lineTo(xl, yl);
    ctx.stroke();
  }

  function redraw() {
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, pad.width, pad.height);
    Object.assign(ctx, { strokeStyle: INK, fillStyle: INK, lineCap: "round", lineJoin: "round" });
    ctx.lineWidth = Math.min(pad.width, pad.height) * INK_WIDTH;
    views.clearBoxes(); // boxes belong to the drawing they were read from
    for (const stroke of strokes) drawStroke(stroke);
    const empty = strokes.length === 0;
    ui.hint.hidden = !empty;
    ui.undo.disabled = empty;
    ui.clear.disabled = empty;
  }

  function onPointerDown(event) {
    if (active || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    clearTimeout(autoTimer);
    active = { id: event.pointerId, points: [point(event)] };
    strokes.push(active.points);
    redraw();
  }

  function onPointerMove(event) {
    if (!active || event.pointerId !== active.id) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) active.points.push(point(e));
    redraw();
  }

  function onPointerUp(event) {
    if (!active || event.pointerId !== active.id) return;
    active = null;
    if (ui.auto.checked) autoTimer = setTimeout(classifyDrawing, AUTO_DELAY_MS);
  }

  function undo() {
    if (active || strokes.length === 0) return;
    strokes.pop();
    redraw();
    if (strokes.length === 0) forget();
    else if (ui.auto.checked) classifyDrawing();
  }

  function clear() {
    if (active) return;
    strokes.length = 0;
    redraw();
    forget();
  }

  function forget() {
    // Nothing drawn any more: drop the pending or running classification and its result.
    clearTimeout(autoTimer);
    if (request) request.controller.abort();
    request = null;
    seq++;
    ui.result.removeAttribute("aria-busy");
    ui.numberResult.removeAttribute("aria-busy");
    resetResult();
    showStatus("");
  }

  function setMode(next) {
    // Digit or Number: a square or a wide pad, /predict or /read, and their result panels.
    if (next === mode || active) return;
    mode = next;
    const number = mode === "number";
    ui.layout.classList.toggle("number-mode", number);
    pad.width = ui.boxes.width = number ? NUMBER_WIDTH : PAD_SIDE;
    pad.height = ui.boxes.height = PAD_SIDE;
    ui.result.hidden = number;
    ui.numberResult.hidden = !number;
    ui.title.textContent = number ? "Write a number" : "Draw a digit";
    ui.classify.textContent = number ? "Read" : "Classify";
    ui.hint.textContent = number ? "Write a number here, left to right" : "Draw one digit here, large and centred";
    const what = number ? "write a number, left to right," : "draw one digit";
    pad.setAttribute("aria-label", `Drawing area: ${what} with a mouse, pen or finger`);
    strokes.length = 0;
    redraw();
    forget();
  }

  // ---- talking to the service ----------------------------------------------------------------

  function classifyDrawing() {
    clearTimeout(autoTimer);
    if (strokes.length === 0) {
      const what = mode === "number" ? "Write a number" : "Draw a digit";
      showStatus(`${what} first, or choose an image file.`, "error");
      return;
    }
    pad.toBlob((blob) => strokes.length && send(blob, "drawing.png", "your drawing"), "image/png");
  }

  function classifyFile(file) {
    if (file) send(file, file.name, file.name);
  }

  async function send(blob, filename, source) {
    if (request) request.controller.abort();
    const mine = { controller: new AbortController(), seq: ++seq };
    request = mine;
    const reading = mode === "number";
    const panel = reading ? ui.numberResult : ui.result;
    panel.setAttribute("aria-busy", "true");
    const form = new FormData();
    form.append("file", blob, filename);
    const started = performance.now();
    try {
      const url = reading ? READ_URL : PREDICT_URL;
      const response = await fetch(url, { method: "POST", body: form, signal: mine.controller.signal });
      const body = await readJson(response);
      if (mine.seq !== seq) return;
      if (!response.ok) throw new Error(errorMessage(response, body));
      if (reading) await showNumber(body.numbers[0], source, blob);
      else showResult(body.predictions[0], source, blob);
      if (mine.seq !== seq) return;
      const ms = Math.round(performance.now() - started);
      const done = reading ? "Read" : "Classified";
      showStatus(`${done} ${source} in ${ms} ms with ${body.model} v${body.version}.`);
    } catch (error) {
      if (error.name === "AbortError" || mine.seq !== seq) return;
      const why = error instanceof TypeError ? "the service could not be reached" : error.message;
      resetResult();
      showStatus(`Could not ${reading ? "read" : "classify"} ${source}: ${why}`, "error");
    } finally {
      if (mine.seq === seq) {
        request = null;
        panel.removeAttribute("aria-busy");
      }
    }
  }

  async function showNumber(reading, source, blob) {
    const bitmap = source === "your drawing" ? null : await createImageBitmap(blob);
    views.show(reading, bitmap);
  }

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  function errorMessage(response, body) {
    const error = body && body.error;
    if (error && typeof error.message === "string") return error.message;
    if (typeof error === "string") return error;
    return `the service answered ${response.status} ${response.statusText}`.trim();
  }

  async function showModel() {
    try {
      const response = await fetch(MODEL_URL);
      if (!response.ok) return;
      const model = await response.json();
      const accuracy = model.test_accuracy ? `, ${(100 * model.test_accuracy).toFixed(2)}% on MNIST test` : "";
      ui.model.textContent = `Model: ${model.name} v${model.version}${accuracy} (${model.provider})`;
    } catch {
      ui.model.textContent = "Model: unavailable";
    }
  }

  // ---- showing the result --------------------------------------------------------------------

  function buildBars() {
    for (let d = 0; d < 10; d++) {
      const row = document.createElement("li");
      row.innerHTML = `<label for="p${d}">${d}</label><meter id="p${d}" min="0" max="1" value="0"></meter>` +
        `<span class="pct">0%</span>`;
      ui.probs.append(row);
    }
  }

  function showResult(prediction, source, blob) {
    ui.verdict.classList.remove("empty");
    ui.verdict.classList.toggle("unsure", prediction.uncertain);
    ui.digit.textContent = String(prediction.digit);
    ui.confidence.textContent = prediction.uncertain
      ? `Not sure (${percent(prediction.confidence)}): this may not be a single digit`
      : `${percent(prediction.confidence)} confident`;
    ui.probs.querySelectorAll("li").forEach((row, d) => {
      const p = prediction.probabilities[d];
      row.querySelector("meter").value = p;
      row.querySelector(".pct").textContent = percent(p);
      row.classList.toggle("top", d === prediction.digit);
    });
    drawSeen(prediction.input);
    showSent(source === "your drawing" ? null : blob);
  }

  function resetResult() {
    ui.verdict.classList.add("empty");
    ui.verdict.classList.remove("unsure");
    ui.digit.textContent = "?";
    ui.confidence.textContent = "Draw a digit to see what the model thinks.";
    ui.probs.querySelectorAll("li").forEach((row) => {
      row.querySelector("meter").value = 0;
      row.querySelector(".pct").textContent = "0%";
      row.classList.remove("top");
    });
    drawSeen(null);
    showSent(null);
    views.reset();
  }

  function percent(p) {
    return p >= 0.9995 ? "100%" : `${(100 * p).toFixed(p < 0.001 ? 2 : 1)}%`;
  }

  function drawSeen(pixels) {
    const seen = ui.seen.getContext("2d");
    const image = seen.createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const v = pixels ? Math.round(255 * pixels[Math.floor(i / 28)][i % 28]) : 0;
      image.data.set([v, v, v, 255], 4 * i);
    }
    seen.putImageData(image, 0, 0);
  }

  function showSent(blob) {
    if (sentUrl) URL.revokeObjectURL(sentUrl);
    sentUrl = blob ? URL.createObjectURL(blob) : "";
    ui.sentFigure.hidden = !blob;
    if (blob) ui.sent.src = sentUrl;
    else ui.sent.removeAttribute("src");
  }

  function showStatus(text, kind) {
    const status = mode === "number" ? ui.numberStatus : ui.status;
    status.textContent = text || "";
    status.classList.toggle("error", kind === "error");
  }

  // ---- wiring --------------------------------------------------------------------------------

  function onKey(event) {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      undo();
    } else if (event.key === "Backspace" && !typing) {
      event.preventDefault();
      undo();
    } else if (event.key === "Escape") {
      clear();
    }
  }

  function onDrag(event) {
    if (!event.dataTransfer || !event.dataTransfer.types.includes("Files")) return;
    event.preventDefault();
    const leaving = event.type === "drop" || (event.type === "dragleave" && event.relatedTarget === null);
    ui.overlay.hidden = leaving;
    if (event.type === "drop") classifyFile(event.dataTransfer.files[0]);
  }

  pad.addEventListener("pointerdown", onPointerDown);
  pad.addEventListener("pointermove", onPointerMove);
  pad.addEventListener("pointerup", onPointerUp);
  pad.addEventListener("pointercancel", onPointerUp);
  ui.undo.addEventListener("click", undo);
  ui.clear.addEventListener("click", clear);
  ui.classify.addEventListener("click", classifyDrawing);
  ui.file.addEventListener("change", () => {
    classifyFile(ui.file.files[0]);
    ui.file.value = ""; // choosing the same file again classifies it again
  });
  ui.modes.forEach((input) => input.addEventListener("change", () => input.checked && setMode(input.value)));
  document.addEventListener("keydown", onKey);
  for (const type of ["dragenter", "dragover", "dragleave", "drop"]) document.addEventListener(type, onDrag);

  buildBars();
  redraw();
  resetResult();
  showModel();
})();
