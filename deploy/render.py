#!/usr/bin/env python3
"""Fill a deploy/ template's @PLACEHOLDERS@: the one way these files become real ones.

    python3 deploy/render.py deploy/nginx/idei.conf ROOT=/srv/idei SERVER_NAME=idei.example.org \\
        WEB_NODES=127.0.0.1:8000 ... > /etc/nginx/sites-available/idei

A placeholder given twice (WEB_NODES=127.0.0.1:8000 WEB_NODES=127.0.0.1:8001) repeats its
line once per value. A placeholder left without a value, or a value for none, stops with an
error naming it: nothing half-filled reaches /etc. Standard library only, so that it runs
before the virtual environment exists. bench/cluster.py and tests/test_deploy.py use the
same functions, and read the units and the environment file the way systemd does (as far as
these files need: ExecStart, WorkingDirectory, EnvironmentFile, KillSignal, %i and %%).
"""

import re
import shlex
import sys
from pathlib import Path

PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


class RenderError(ValueError):
    pass


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: dict[str, str | list[str]], *, exact: bool = False) -> str:
    """The template with every placeholder filled; a line whose placeholder has several values
    is repeated once per value. `exact`: a value for no placeholder is an error too (a typo
    on the command line)."""
    wanted = placeholders(text)
    missing = sorted(wanted - set(values))
    if missing:
        raise RenderError(f"no value for {', '.join(missing)}")
    unused = sorted(set(values) - wanted)
    if exact and unused:
        raise RenderError(f"{', '.join(unused)}: no such placeholder in this template")
    lines = []
    for line in text.splitlines(keepends=True):
        several = [name for name in PLACEHOLDER.findall(line) if isinstance(values[name], list)]
        if len(set(several)) > 1:
            raise RenderError(f"one line repeats for {' and '.join(sorted(set(several)))}")
        repeats = values[several[0]] if several else [None]
        for value in repeats:

            def fill(match, value=value):
                name = match.group(1)
                given = values[name]
                return value if isinstance(given, list) else given

            lines.append(PLACEHOLDER.sub(fill, line))
    return "".join(lines)


def parse_assignments(arguments: list[str]) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {}
    for argument in arguments:
        name, equals, value = argument.partition("=")
        if not equals or not PLACEHOLDER.fullmatch(f"@{name}@"):
            raise RenderError(f"expected NAME=value, not {argument!r}")
        if "\n" in value:
            raise RenderError(f"{name}: a value is one line")
        if name in values:
            previous = values[name]
            values[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            values[name] = value
    return values


# -- Reading the rendered files as systemd does ------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines (systemd's EnvironmentFile, as written in idei.env.template: no quotes)."""
    environment = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise RenderError(f"{path}:{number}: not KEY=value")
        environment[key] = value
    return environment


def read_unit(path: Path, instance: str = "") -> dict[str, str | list[str]]:
    """The [Service] settings of a unit: ExecStart as an argument list, specifiers filled."""
    service: dict[str, str | list[str]] = {}
    section = None
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section == "Service":
            key, _, value = line.partition("=")
            service[key.strip()] = value.strip()

    def specifiers(value: str) -> str:
        # %i: the instance as named, %I: unescaped (\x3a is ":"), %%: a percent sign. The
        # units use no other specifier.
        unescaped = re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), instance)
        known = {"i": instance, "I": unescaped, "%": "%"}
        return re.sub(r"%(.)", lambda m: known.get(m.group(1), m.group(0)), value)

    for key, value in list(service.items()):
        service[key] = specifiers(value)
    service["ExecStart"] = shlex.split(service["ExecStart"])
    return service


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0 if argv else 2
    template = Path(argv[0])
    try:
        sys.stdout.write(render(template.read_text(), parse_assignments(argv[1:]), exact=True))
    except (OSError, RenderError) as error:
        print(f"{template}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
