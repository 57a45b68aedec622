"""Routers that speak other products' APIs on top of our services: UGC Inc's slideshow and
video post calls (automatic account choice) and Ayrshare's TikTok post options."""
