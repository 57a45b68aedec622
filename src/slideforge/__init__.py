"""slideforge: a self-hostable engine for TikTok / Instagram / Pinterest slideshow marketing."""

__version__ = "0.1.0"
