"""Print the Lambda layer's pins: pyproject's runtime dependencies and everything they pull in, at the versions
of constraints.txt. boto3 and its own dependencies are left out: the Lambda Python runtime provides them."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PROVIDED_BY_LAMBDA = {"boto3", "botocore", "s3transfer", "urllib3"}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def layer_pins() -> dict[str, str]:
    constraints = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, _, version = line.strip().partition("==")
            constraints[_name(name)] = version
    pending = [Requirement(dep) for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
               ["dependencies"]]
    pins: dict[str, str] = {}
    while pending:
        requirement = pending.pop()
        name = _name(requirement.name)
        if name in PROVIDED_BY_LAMBDA:
            continue
        extras_seen = pins.get(name) is not None and not requirement.extras
        pins[name] = constraints[name]
        if extras_seen:
            continue
        for raw in metadata.requires(requirement.name) or []:
            child = Requirement(raw)
            extras = requirement.extras or {""}
            if child.marker is None or any(child.marker.evaluate({"extra": extra}) for extra in extras):
                if _name(child.name) not in pins or child.extras:
                    pending.append(child)
    return dict(sorted(pins.items()))


def main() -> None:
    print("# Lambda layer pins: pyproject.toml [project].dependencies and their runtime dependencies, versions from")
    print("# constraints.txt (`make deps`). boto3/botocore are not listed: the Lambda Python runtime provides them.")
    for name, version in layer_pins().items():
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
