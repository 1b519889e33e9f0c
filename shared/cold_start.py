"""The cyclic garbage collector held off while a function's modules load, and what they created frozen after.

A cold start creates some 70,000 container-lived objects (modules, classes, functions, pydantic schemas) and about
700 objects of cyclic garbage. Each collection the import triggers walks the survivors again and frees next to
nothing: about a tenth of a cold start's CPU (`python -m bench cold_start`, docs/performance.md, "Cold start"). So each
function's `app.py` imports this module before anything else, which switches the collector off, and calls
`imports_done()` after its last import: everything alive then moves to the permanent generation (`gc.freeze`), so
no later collection, a warm request's included, walks it again; that garbage is kept, about 160 KB once. From then
on the collector runs as usual. Importing a second function in the same process (tests, the local stack) runs with
the collector on: only the first import of this module switches it off. At exit the frozen objects are handed back
to the collector, so the final collection and native extensions' leak checks (DuckDB's) see the whole heap.

An AWS client is built the same way (shared/wiring.py, with shared/batch_gc.py's `collector_paused(freeze=True)`):
boto3's modules and the service models it loads live as long as the container too, and building the first
request's clients triggered some 100 young collections that freed nothing (about 4% of a cold start's
instructions). Objects of the request in flight are frozen with them: they are still freed when unreferenced, only
cyclic garbage among them is kept.
"""

import atexit
import gc

gc.disable()


def imports_done() -> None:
    gc.freeze()
    gc.enable()


atexit.register(gc.unfreeze)
