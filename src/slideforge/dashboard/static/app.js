// slideforge dashboard: the few things pages need from JavaScript.
// - sf.api(method, path, body): calls the Partner API with the session cookie and the page's
//   CSRF token; resolves with the envelope's data, rejects with an Error whose message is the
//   API's own (it says what to change), and shows that message.
// - [data-api] buttons/forms: declarative API calls (data-method, data-api path, data-body JSON
//   or the form's fields; data-confirm asks first; data-then="reload" | a URL).
// - sf.toast(message, kind): a polite live-region message.
(function () {
  "use strict";
  const API = "/api/partner/v1";

  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function toast(message, kind) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast " + (kind || "info");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = message;
    box.appendChild(item);
    setTimeout(() => item.remove(), kind === "error" ? 12000 : 5000);
  }

  async function api(method, path, body, options) {
    const headers = { "X-CSRF-Token": csrf(), Accept: "application/json" };
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, init);
    } catch (e) {
      const error = new Error("The server cannot be reached: check your connection and retry.");
      if (!(options && options.quiet)) toast(error.message, "error");
      throw error;
    }
    let envelope = null;
    try {
      envelope = await response.json();
    } catch (e) {
      envelope = null;
    }
    if (!response.ok || !envelope || envelope.ok === false) {
      if (response.status === 401) {
        window.location.href = "/app/sign-in?next=" + encodeURIComponent(location.pathname + location.search);
      }
      const message = (envelope && envelope.message) || "Request failed (" + response.status + ").";
      const error = new Error(message);
      error.status = response.status;
      error.code = envelope && envelope.error_code;
      error.data = envelope && envelope.data;
      if (!(options && options.quiet)) toast(message, "error");
      throw error;
    }
    return envelope.data;
  }

  function formBody(form) {
    const body = {};
    new FormData(form).forEach((value, key) => {
      if (key === "csrf_token") return;
      body[key] = value;
    });
    return body;
  }

  async function runAction(element, event) {
    event.preventDefault();
    const question = element.getAttribute("data-confirm");
    if (question && !window.confirm(question)) return;
    const method = (element.getAttribute("data-method") || "POST").toUpperCase();
    const path = element.getAttribute("data-api");
    let body = null;
    if (element.hasAttribute("data-body")) body = JSON.parse(element.getAttribute("data-body"));
    else if (element.tagName === "FORM") body = formBody(element);
    element.setAttribute("aria-busy", "true");
    try {
      const data = await api(method, path, body);
      const done = element.getAttribute("data-done");
      if (done) toast(done, "ok");
      const then = element.getAttribute("data-then") || "reload";
      if (then === "reload") window.location.reload();
      else if (then !== "stay") window.location.href = then.replace("{id}", data && data.id ? data.id : "");
      element.dispatchEvent(new CustomEvent("sf:done", { detail: data, bubbles: true }));
    } catch (e) {
      /* the toast already says why */
    } finally {
      element.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("click", (event) => {
    const element = event.target.closest("button[data-api], a[data-api]");
    if (element) runAction(element, event);
  });
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-api]");
    if (form) runAction(form, event);
  });
  document.addEventListener("htmx:configRequest", (event) => {
    event.detail.headers["X-CSRF-Token"] = csrf();
  });
  // A boosted navigation keeps this <head>: take the new page's CSRF token from its answer
  // (a page reached from one rendered without a session, such as an error page, has none yet).
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail && event.detail.xhr;
    const text = xhr && typeof xhr.responseText === "string" ? xhr.responseText.slice(0, 4000) : "";
    const found = /<meta name="csrf-token" content="([^"]*)">/.exec(text);
    if (!found) return;
    let meta = document.querySelector('meta[name="csrf-token"]');
    if (!meta) {
      meta = document.createElement("meta");
      meta.setAttribute("name", "csrf-token");
      document.head.appendChild(meta);
    }
    meta.setAttribute("content", found[1]);
  });
  // A page's own script: htmx keeps no <script> of a boosted navigation (allowScriptTags is
  // off, and the new page's <head> is not merged), so a page names it with
  // data-page-script="/app/static/x.js" and it is loaded here, once.
  document.addEventListener("htmx:load", (event) => {
    const root = event.detail && event.detail.elt;
    if (!root || !root.querySelectorAll) return;
    const marked = root.matches && root.matches("[data-page-script]") ? [root] : [];
    marked.concat(Array.from(root.querySelectorAll("[data-page-script]"))).forEach((element) => {
      const src = element.getAttribute("data-page-script");
      if (!src || !src.startsWith("/app/static/")) return;
      if (Array.from(document.scripts).some((s) => s.getAttribute("src") === src)) return;
      const script = document.createElement("script");
      script.src = src;
      document.head.appendChild(script);
    });
  });

  window.sf = { api: api, toast: toast, csrf: csrf };
})();
