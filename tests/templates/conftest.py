from tests.slideshows.conftest import model, no_model

__all__ = ["model", "no_model"]
