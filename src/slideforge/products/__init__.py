"""Products that slideshows and imports reference."""
