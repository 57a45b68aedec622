"""Slideshows: generate (manual, template, AI), get, patch, render, regenerate, duplicate,
delete, list."""
