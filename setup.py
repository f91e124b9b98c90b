"""The one compiled part: the fast lane's write loop (server/fanout/_lane.c). It is optional: where
no C compiler is at hand the install goes on without it and server/fanout/lane.py uses its Python
loop. Everything else about the package is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("server.fanout._lane", ["server/fanout/_lane.c"], optional=True),
    ]
)
