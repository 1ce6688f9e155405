// Number mode's view: the text POST /read gave, one card per digit, and each digit's box drawn over
// the image it came from. Loaded before app.js, which sends the requests and calls window.NumberView.
(function () {
  "use strict";

  const COLOURS = ["#facc15", "#38bdf8", "#f472b6", "#4ade80"]; // as .digit-card.c0-c3 in style.css
  const PREVIEW_WIDTH = 448;
  const PREVIEW_MAX_HEIGHT = 224;

  const $ = (id) => document.getElementById(id);
  const ui = {
    text: $("number-text"), note: $("number-note"), cards: $("number-digits"), figure: $("number-figure"),
    preview: $("number-preview"), overlay: $("boxes"),
  };

  function percent(p) {
    return p >= 0.9995 ? "100%" : `${(100 * p).toFixed(1)}%`;
  }

  function drawBoxes(canvas, digits, scale) {
    const ctx = canvas.getContext("2d");
    const size = Math.max(12, Math.round(Math.min(canvas.width, canvas.height) / 9));
    ctx.lineWidth = Math.max(2, Math.round(size / 8));
    ctx.font = `700 ${size}px system-ui, sans-serif`;
    ctx.textBaseline = "bottom";
    digits.forEach((d, i) => {
      const [x0, y0, x1, y1] = d.box.map((v) => v * scale);
      ctx.strokeStyle = ctx.fillStyle = COLOURS[i % COLOURS.length];
      ctx.setLineDash(d.uncertain ? [size / 2, size / 3] : []);
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      const label = d.uncertain ? `${d.digit}?` : String(d.digit);
      ctx.fillText(label, x0, y0 > size ? y0 - 2 : y1 + size);
    });
    ctx.setLineDash([]);
  }

  function drawInput(canvas, pixels) {
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(28, 28);
    for (let i = 0; i < 28 * 28; i++) {
      const v = pixels ? Math.round(255 * pixels[Math.floor(i / 28)][i % 28]) : 0;
      image.data.set([v, v, v, 255], 4 * i);
    }
    ctx.putImageData(image, 0, 0);
  }

  function card(d, i) {
    const item = document.createElement("li");
    item.className = `digit-card c${i % COLOURS.length}${d.uncertain ? " unsure" : ""}`;
    const seen = document.createElement("canvas");
    seen.width = seen.height = 28;
    seen.setAttribute("aria-hidden", "true");
    drawInput(seen, d.input);
    const digit = document.createElement("span");
    digit.className = "card-digit";
    digit.textContent = String(d.digit);
    const confidence = document.createElement("span");
    confidence.className = "card-confidence";
    confidence.textContent = percent(d.confidence);
    item.append(seen, digit, confidence);
    if (d.uncertain) {
      const mark = document.createElement("span");
      mark.className = "card-unsure";
      mark.textContent = "not sure";
      item.append(mark);
    }
    const unsure = d.uncertain ? ", not sure" : "";
    item.setAttribute("aria-label", `Digit ${i + 1}: ${d.digit}, ${percent(d.confidence)}${unsure}`);
    return item;
  }

  function clearBoxes() {
    ui.overlay.getContext("2d").clearRect(0, 0, ui.overlay.width, ui.overlay.height);
  }

  function showPreview(bitmap, digits) {
    const scale = Math.min(PREVIEW_WIDTH / bitmap.width, PREVIEW_MAX_HEIGHT / bitmap.height);
    ui.preview.width = Math.max(1, Math.round(bitmap.width * scale));
    ui.preview.height = Math.max(1, Math.round(bitmap.height * scale));
    ui.preview.getContext("2d").drawImage(bitmap, 0, 0, ui.preview.width, ui.preview.height);
    drawBoxes(ui.preview, digits, scale);
    ui.figure.hidden = false;
  }

  // reading: one entry of POST /read's "numbers"; bitmap: the uploaded image, or null for a drawing
  // (whose boxes go over the pad itself).
  function show(reading, bitmap) {
    reset();
    ui.text.textContent = reading.text;
    ui.text.classList.toggle("unsure", reading.uncertain);
    const count = reading.digits.length;
    const unsure = reading.digits.filter((d) => d.uncertain).length;
    ui.note.textContent = `${count} digit${count === 1 ? "" : "s"}` +
      (unsure ? `; not sure of ${unsure}` : ", all read with confidence");
    reading.digits.forEach((d, i) => ui.cards.append(card(d, i)));
    if (bitmap) showPreview(bitmap, reading.digits);
    else drawBoxes(ui.overlay, reading.digits, 1);
  }

  function reset() {
    ui.text.textContent = "?";
    ui.text.classList.remove("unsure");
    ui.note.textContent = "Write a number to see how the model reads it.";
    ui.cards.replaceChildren();
    ui.figure.hidden = true;
    clearBoxes();
  }

  window.NumberView = { show, reset, clearBoxes };
})();
