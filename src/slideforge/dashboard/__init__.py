"""The web dashboard at /app: server-rendered pages (Jinja2) over the same services as the API,
HTMX for navigation and partial updates, and a little plain JavaScript that calls the Partner
API with the session cookie (so every change goes through the API's own rules)."""
