"""The AI studio (contract §10): configured OpenAI-compatible image and video models."""
