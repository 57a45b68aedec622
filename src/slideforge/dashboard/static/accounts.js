// Accounts page: connect (POST /accounts/connect, then the platform's authorize page; the
// callback brings the browser back to /app/accounts) and edit (PATCH /accounts/{id}).
// Every change goes through the Partner API (sf.api); a refusal shows the API's message.
(function () {
  "use strict";
  const RETURN_TO = "/app/accounts";

  function tagList(text) {
    return text
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t.length > 0);
  }

  function orNull(value) {
    const text = (value || "").trim();
    return text === "" ? null : text;
  }

  function intOrNull(value) {
    const text = (value || "").trim();
    return text === "" ? null : Number(text);
  }

  async function connect(button) {
    const body = { platform: button.getAttribute("data-connect"), return_to: RETURN_TO };
    const tagsInput = document.getElementById("connect-tags");
    // Tags only for a new account (a reconnect keeps the account's own).
    if (tagsInput && button.closest("#connect-form")) {
      const tags = tagList(tagsInput.value);
      if (tags.length) body.tags = tags;
    }
    if (button.getAttribute("aria-busy") === "true") return; // one connect at a time
    button.setAttribute("aria-busy", "true");
    try {
      const started = await sf.api("POST", "/accounts/connect", body);
      window.location.assign(started.authorize_url);
    } catch (e) {
      button.removeAttribute("aria-busy"); // the toast says why (the API's message)
    }
  }
  // Back from the platform's page (the browser's page cache): the buttons work again.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("button[data-connect][aria-busy]").forEach((b) => b.removeAttribute("aria-busy"));
  });

  function editBody(form) {
    const field = (name) => (form.elements[name] ? form.elements[name].value : "");
    const policy = {
      max_posts_per_24h: intOrNull(field("max_posts_per_24h")),
      min_gap_minutes: intOrNull(field("min_gap_minutes")),
      timezone: orNull(field("timezone")),
    };
    if (form.elements.max_drafts_per_24h) policy.max_drafts_per_24h = intOrNull(field("max_drafts_per_24h"));
    const start = orNull(field("hours_start"));
    const end = orNull(field("hours_end"));
    policy.allowed_hours = start || end ? { start: start || "", end: end || "" } : null;
    return {
      display_name: field("display_name").trim(),
      tags: tagList(field("tags")),
      user_group: orNull(field("user_group")),
      org_group: orNull(field("org_group")),
      policy: policy,
    };
  }

  async function save(form) {
    const id = form.getAttribute("data-account-id");
    const error = form.querySelector(".form-error");
    const button = form.querySelector('button[type="submit"]');
    error.hidden = true;
    button.setAttribute("aria-busy", "true");
    try {
      await sf.api("PATCH", "/accounts/" + encodeURIComponent(id), editBody(form), { quiet: true });
      sf.toast("Account saved", "ok");
      window.location.reload();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      error.setAttribute("tabindex", "-1");
      error.focus();
    } finally {
      button.removeAttribute("aria-busy");
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-connect]");
    if (button) {
      event.preventDefault();
      connect(button);
    }
  });
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form.account-edit");
    if (form) {
      event.preventDefault();
      save(form);
    }
  });
  // The connect form has no submit of its own: Enter in its tags field must not reload.
  document.addEventListener("submit", (event) => {
    if (event.target.id === "connect-form") event.preventDefault();
  });
})();
