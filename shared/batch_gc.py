"""The cyclic garbage collector held off for the span of one batch (a POST /access-events call, a stream
consumer's invocation).

A batch's thousands of objects (parsed items, validated models, stream records, envelope parts) stay alive until
it ends, so collections triggered mid-batch find nothing to free: they only promote those objects and then walk
them and the rest of the heap again, which cost the access API about a fifth of its CPU time at 500-event batches
(`python -m bench access_ingest`). Reference counting still frees everything as it goes; only cycles wait, for the
collection that follows the batch. The switch is process-wide: a batch running beside another (threads of the
local stack) at worst runs with the collector on.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(freeze: bool = False) -> Iterator[None]:
    """With `freeze`, what exists when it resumes is frozen first: objects built to live as long as the container
    (AWS clients, shared/cold_start.py)."""
    if not gc.isenabled():  # an enclosing batch (or the host, or an import) holds it off already
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.enable()
