"""Local stand-ins for TikTok (API and web pages), Instagram Graph and Pinterest: real HTTP
servers built from the platforms' public documentation, for dry runs and tests."""
