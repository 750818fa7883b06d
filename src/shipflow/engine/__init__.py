"""Durable execution of the lifecycle, behind the small interface of `Engine`."""

from shipflow.engine.engine import Engine, Role, build_runtime

__all__ = ["Engine", "Role", "build_runtime"]
