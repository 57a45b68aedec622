// Copy a TikTok: POST /slideshows/copy-tiktok/preview with the pasted URL, then show each
// original slide beside the slide an import rebuilds (the text elements read from it, placed
// as the renderer places them: x/y the centre in percent, width in percent, font size in px
// at a 1080 px wide slide), and POST /slideshows/copy-tiktok/import with the chosen pack.
// Everything from the API is put into the page as text (textContent), never as HTML.
(function () {
  "use strict";
  if (window.sfCopy) return;
  const APP = "/app";
  const PRESETS = ["tiktok", "inverted", "shadow", "white", "black", "snapchat"];
  let current = null; // {url, preview}

  function el(tag, className, content) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (content !== undefined && content !== null) element.textContent = content;
    return element;
  }

  function byId(id) {
    return document.getElementById(id);
  }

  // A busy state with the seconds it has lasted (the preview reads text on every slide).
  function busy(id, message) {
    const box = byId(id);
    const label = box.querySelector(".busy-text");
    const started = Date.now();
    const tick = () => {
      const seconds = Math.floor((Date.now() - started) / 1000);
      label.textContent = message + (seconds ? " (" + seconds + " s)" : "");
    };
    tick();
    box.hidden = false;
    const timer = setInterval(tick, 1000);
    return () => {
      clearInterval(timer);
      box.hidden = true;
      label.textContent = "";
    };
  }

  function showError(id, message) {
    const box = byId(id);
    box.textContent = message || "";
    box.hidden = !message;
  }

  function number(value, fallback) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : fallback;
  }

  function textElement(element) {
    const preset = PRESETS.includes(element.style_preset) ? element.style_preset : "tiktok";
    const box = el("div", "text preset-" + preset);
    const line = el("span", "words", element.content);
    box.appendChild(line);
    box.style.left = number(element.x, 50) + "%";
    box.style.top = number(element.y, 50) + "%";
    box.style.width = number(element.width, 70) + "%";
    box.style.fontSize = "calc(" + number(element.font_size, 40) + " / 1080 * 100cqw)";
    if (element.text_color) box.style.setProperty("--text", element.text_color);
    if (element.background_color) box.style.setProperty("--box", element.background_color);
    if (element.outline_color) box.style.setProperty("--outline", element.outline_color);
    return box;
  }

  function slideItem(slide, position) {
    const item = el("li", "slide");
    item.appendChild(el("h3", null, "Slide " + (position + 1)));
    const pair = el("div", "pair");

    const original = el("figure", "original");
    const image = el("img");
    image.src = slide.image_url;
    image.alt = "Original slide " + (position + 1);
    image.width = slide.width;
    image.height = slide.height;
    original.append(image, el("figcaption", null, "Original"));

    const rebuilt = el("figure", "rebuilt");
    const canvas = el("div", "canvas");
    canvas.style.aspectRatio = number(slide.width, 9) + " / " + number(slide.height, 16);
    canvas.setAttribute("role", "img");
    const texts = slide.text_elements || [];
    canvas.setAttribute(
      "aria-label",
      "Rebuilt slide " + (position + 1) + ": " + (texts.length ? texts.map((e) => e.content).join(" / ") : "no text")
    );
    texts.forEach((element) => canvas.appendChild(textElement(element)));
    const caption = el("figcaption");
    caption.textContent = texts.length
      ? "Rebuilt: " + texts.length + " editable text" + (texts.length === 1 ? "" : "s") + " over a pack image"
      : "Rebuilt: no text found, a pack image only";
    rebuilt.append(canvas, caption);
    pair.append(original, rebuilt);
    item.appendChild(pair);

    if (slide.ocr_error) item.appendChild(el("p", "error", "The text of this slide could not be read: " + slide.ocr_error));
    if (texts.length) {
      const list = el("ul", "texts");
      list.setAttribute("aria-label", "Text read from slide " + (position + 1));
      texts.forEach((element) => {
        const entry = el("li");
        entry.appendChild(el("q", null, element.content));
        entry.appendChild(
          el("span", "muted", " · " + element.style_preset + ", " + Math.round(number(element.font_size, 0)) + " px")
        );
        list.appendChild(entry);
      });
      item.appendChild(list);
    }
    return item;
  }

  function postSummary(preview) {
    const box = byId("copy-post");
    box.textContent = "";
    const post = preview.post || {};
    const head = el("p");
    head.appendChild(el("strong", null, "@" + (post.author || "unknown")));
    const link = el("a", null, preview.source_url);
    link.href = preview.source_url;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    head.append(" · ", link);
    box.appendChild(head);
    if (post.caption) box.appendChild(el("p", "caption", post.caption));
    const facts = [
      preview.slide_count + " slide" + (preview.slide_count === 1 ? "" : "s") +
        (preview.capped ? " (the first " + preview.slide_count + " of " + preview.total_slides + ")" : ""),
    ];
    if (post.music && post.music.title) facts.push("sound: " + post.music.title + (post.music.author ? " — " + post.music.author : ""));
    if (post.hashtags && post.hashtags.length) facts.push(post.hashtags.map((tag) => "#" + tag).join(" "));
    box.appendChild(el("p", "muted", facts.join(" · ")));
  }

  function showPreview(url, preview) {
    current = { url: url, preview: preview };
    postSummary(preview);
    const list = byId("copy-slides");
    list.textContent = "";
    (preview.slides || []).forEach((slide, i) => list.appendChild(slideItem(slide, i)));
    const cost = byId("copy-cost");
    if (cost) {
      cost.textContent =
        "Importing costs " + preview.estimated_credits + " credit" + (preview.estimated_credits === 1 ? "" : "s") +
        ". The preview is kept until " + new Date(preview.expires_at).toLocaleTimeString() + "; after that the post is fetched again.";
    }
    byId("copy-done").hidden = true;
    byId("copy-result").hidden = false;
    byId("result-title").focus();
  }

  async function preview(form) {
    const url = form.elements.url.value.trim();
    const button = form.querySelector('button[type="submit"]');
    showError("copy-error", "");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const done = busy("copy-busy", "Fetching the post and reading the text on its slides… this takes a few seconds");
    try {
      const data = await window.sf.api("POST", "/slideshows/copy-tiktok/preview", { url: url }, { quiet: true });
      showPreview(url, data);
    } catch (error) {
      showError("copy-error", error.message);
    } finally {
      done();
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  async function importPost(form) {
    if (!current) return;
    const button = form.querySelector('button[type="submit"]');
    const body = { url: current.url, preview_id: current.preview.preview_id, pack_id: form.elements.pack_id.value };
    const title = form.elements.title.value.trim();
    if (title) body.title = title;
    showError("import-error", "");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    const done = busy("import-busy", "Importing: building the slides from the pack…");
    try {
      const data = await window.sf.api("POST", "/slideshows/copy-tiktok/import", body, { quiet: true });
      const box = byId("copy-done");
      box.textContent = "";
      const show = data.slideshow;
      box.appendChild(
        el("p", null, "Imported " + show.slide_count + " slide" + (show.slide_count === 1 ? "" : "s") +
          " as a draft (" + data.credits_used + " credit" + (data.credits_used === 1 ? "" : "s") + " used).")
      );
      const link = el("a", "button primary", "Open “" + show.title + "”");
      link.href = APP + "/slideshows/" + encodeURIComponent(show.id);
      box.appendChild(link);
      box.hidden = false;
      link.focus();
    } catch (error) {
      showError("import-error", error.message);
    } finally {
      done();
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.id === "copy-preview") {
      event.preventDefault();
      preview(form);
    } else if (form.id === "copy-import") {
      event.preventDefault();
      importPost(form);
    }
  });

  window.sfCopy = { preview: () => current && current.preview };
})();
