"""Slideshow templates: /templates and /templates/from-slideshow/{id}."""
