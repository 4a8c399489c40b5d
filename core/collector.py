"""Python's cyclic garbage collector, paused for bulk work.

Reading and checking an import keeps hundreds of thousands of small objects alive (records,
their values, ElementTree elements, model instances). Each automatic full collection walks all
of them, and there are many while they pile up: at 15,000 courses with 60,000 dates the
collector took about half of the import's reading and checking. What bulk work allocates is
freed by reference counting when it is done; the few cycles are collected once the collector
runs again."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection inside the block; the collector's state restored after it
    (left off when it was off before, e.g. in a nested block)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
