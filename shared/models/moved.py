"""Names that moved to a module of their own still answer under their old module (a function loads only its own
area's model modules, and the moved module loads at the first use of an old name)."""

from collections.abc import Callable
from importlib import import_module
from typing import Any


def forwarding(module: str, moved: dict[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """A module `__getattr__` for `module`: each name in `moved`'s tuples is read from the module that keys it."""
    homes = {name: home for home, names in moved.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in homes:
            return getattr(import_module(homes[name]), name)
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
