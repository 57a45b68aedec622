"""Copy a TikTok slideshow: fetch a public photo post, OCR its overlays, rebuild it as a draft."""
