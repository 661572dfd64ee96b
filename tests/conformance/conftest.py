from tests.sitl import sitl_factory

__all__ = ["sitl_factory"]
