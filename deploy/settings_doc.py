"""The configuration table (docs/configuration.md), generated from the settings classes (one source).

python -m deploy.settings_doc write   rewrite the table in docs/configuration.md
python -m deploy.settings_doc check   fail when the table differs from the code
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from deploy.settings import ToolSettings
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from services.resolution.settings import ResolutionSettings
from services.stats.settings import StatsSettings

PAGE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
SERVICES: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "resolution": ResolutionSettings,
    "stats": StatsSettings,
    "notifier": NotifierSettings,
}


def variable(cls: type[BaseSettings], name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    if isinstance(alias, str):
        return alias
    return f"{cls.model_config.get('env_prefix', '')}{name}".upper()


def _type(annotation: Any) -> str:
    if get_origin(annotation) in (Union, types.UnionType):
        return " or ".join(_type(a) for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Literal:
        return " or ".join(f"`{a}`" for a in get_args(annotation))
    if annotation is SecretStr:
        return "secret"
    return {str: "text", int: "integer", float: "number", bool: "boolean", Path: "path"}.get(
        annotation, str(annotation)
    )


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None or field.default is PydanticUndefined:
        return "—"
    if field.default in (None, ""):
        return "(none)"
    return f"`{str(field.default).lower() if isinstance(field.default, bool) else field.default}`"


def rows() -> list[tuple[str, str, str, str, str]]:
    """(variable, who reads it, type, default, what it is), one per variable."""
    found: dict[str, list] = {}
    for service, cls in SERVICES.items():
        for name, field in cls.model_fields.items():
            var = variable(cls, name, field)
            entry = found.setdefault(var, [[], _type(field.annotation), _default(field), field.description or ""])
            entry[0].append(service)
    for name, field in ToolSettings.model_fields.items():
        var = variable(ToolSettings, name, field)
        if var not in found:
            found[var] = [["make"], _type(field.annotation), _default(field), field.description or ""]
    everyone = len(SERVICES)
    return [
        (var, "every service" if len(who) == everyone else ", ".join(who), kind, default, text)
        for var, (who, kind, default, text) in sorted(found.items())
    ]


def table() -> str:
    lines = ["| variable | read by | type | default | what it is |", "|---|---|---|---|---|"]
    lines += [f"| `{var}` | {who} | {kind} | {default} | {text} |" for var, who, kind, default, text in rows()]
    return "\n".join(lines)


def with_table(page: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(page):
        raise SystemExit(f"{PAGE.name} has no {BEGIN} … {END} block")
    return pattern.sub(lambda _: f"{BEGIN}\n{table()}\n{END}", page)


def main(argv: list[str]) -> int:
    current = PAGE.read_text(encoding="utf-8")
    wanted = with_table(current)
    if argv[:1] == ["write"]:
        PAGE.write_text(wanted, encoding="utf-8")
        print(f"wrote the configuration table of {PAGE.name}")
        return 0
    if wanted != current:
        print("docs/configuration.md's table is stale: run `python -m deploy.settings_doc write`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
