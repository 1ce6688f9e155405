"""Print one optional-dependency group of pyproject.toml as requirement lines.

Image builds install a group's dependencies without building the project itself
(the images copy ``service/`` or ``training/`` as plain source)::

    python deploy/requirements.py service > service.txt
    python deploy/requirements.py service --exclude onnxruntime > gpu.txt
    pip install -c constraints.txt -r service.txt

Only the standard library is used, so it runs in a bare ``python`` image.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalise(name: str) -> str:
    """PEP 503 name normalisation: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirements(pyproject: Path, extra: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """The project's base dependencies plus the ``extra`` group, minus the ``exclude`` names."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = project.get("optional-dependencies", {})
    if extra not in groups:
        raise SystemExit(f"no optional-dependency group {extra!r} in {pyproject} (have: {sorted(groups)})")
    dropped = {normalise(name) for name in exclude}
    lines = [*project.get("dependencies", []), *groups[extra]]
    return [line for line in lines if _requirement_name(line) not in dropped]


def _requirement_name(line: str) -> str:
    match = _NAME.match(line)
    if match is None:
        raise SystemExit(f"cannot read a package name from requirement {line!r}")
    return normalise(match.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("extra", help="optional-dependency group, e.g. service or training")
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"), help="default: %(default)s")
    parser.add_argument("--exclude", action="append", default=[], help="drop this package (repeatable)")
    args = parser.parse_args(argv)
    print("\n".join(requirements(args.pyproject, args.extra, frozenset(args.exclude))))


if __name__ == "__main__":
    main()
