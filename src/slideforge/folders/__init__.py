"""Folders of files and slideshows (contract §3)."""
