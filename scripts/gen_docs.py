"""Writes the parts of docs/ that are made from the code, so they cannot drift from it:

- docs/configuration.md, from the settings table (``zhuanlan.config.SETTINGS``);
- the module map in docs/architecture.md (between its ``module-map`` markers), from the
  first sentence of every module's docstring.

    .venv/bin/python scripts/gen_docs.py            # write them
    .venv/bin/python scripts/gen_docs.py --check    # exit 1 if one is out of date

tests/test_docs.py runs the check, so a new setting or module without its line fails the
test suite until this script is run.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "zhuanlan"
CONFIGURATION = ROOT / "docs" / "configuration.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
MAP_START = "<!-- module-map:start (made by scripts/gen_docs.py; do not edit by hand) -->"
MAP_END = "<!-- module-map:end -->"

CONFIGURATION_HEAD = """\
# Configuration

<!-- Made by scripts/gen_docs.py from zhuanlan.config.SETTINGS; edit the help there. -->

For administrators. Settings come from `zhuanlan.toml` (or the file named by `--config` /
`$ZHUANLAN_CONFIG`), then from `ZHUANLAN_*` environment variables, then the defaults. A
section in the file is the part of the name before the dot:

```toml
data_dir = "/var/lib/zhuanlan"
timezone = "Asia/Shanghai"

[database]
url = "postgresql+psycopg://zhuanlan@db.internal/zhuanlan"

[web]
host = "0.0.0.0"
base_url = "https://zhuanlan.example.com"

[smtp]
host = "smtp.example.com"
port = 465
security = "ssl"
username = "zhuanlan@example.com"
sender = "学习专栏 <zhuanlan@example.com>"
```

`zhuanlan config show` prints every value and where it came from (secrets hidden, and the
password of any URL masked); `zhuanlan config help` prints this table. A wrong value stops
the program with the key and the problem, for example
`错误：smtp.port: 应为整数，实际是 'many'（来自环境变量 ZHUANLAN_SMTP_PORT）`.

Columns, schedules, sources, people, push targets and staff accounts are editorial data:
they live in the store and are edited on the web pages or with the CLI, not in the file.

| setting | environment | default | meaning |
|---|---|---|---|
"""


def _default(setting) -> str:
    value = setting.default
    if value in ("", [], None):
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def configuration() -> str:
    sys.path.insert(0, str(ROOT / "src"))
    from zhuanlan.config import SETTINGS, env_name

    rows = []
    for s in SETTINGS:
        meaning = s.help.replace("|", "\\|") + (" Secret: never shown." if s.secret else "")
        rows.append(f"| `{s.name}` | `{env_name(s.name)}` | {_default(s)} | {meaning} |")
    return CONFIGURATION_HEAD + "\n".join(rows) + "\n"


def _first_sentence(doc: str) -> str:
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    match = re.search(r"(?<=[.。])\s", paragraph)
    sentence = paragraph[:match.start()] if match else paragraph
    sentence = re.sub(r":(?:func|class|meth|data|mod|attr):`~?", "`", sentence)
    return sentence.replace("``", "`").replace("|", "\\|")


def module_map() -> str:
    groups: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "migrations" in rel.parts or rel.name == "__main__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if rel.name == "__init__.py" and not doc:
            continue
        package = rel.parts[0] + "/" if len(rel.parts) > 1 else "(top level)"
        name = rel.as_posix()
        groups.setdefault(package, []).append((name, _first_sentence(doc)))
    out = [MAP_START, ""]
    for package in sorted(groups, key=lambda p: (p != "(top level)", p)):
        out.append(f"**{package}**")
        out.append("")
        out.append("| module | what it is |")
        out.append("|---|---|")
        for name, what in groups[package]:
            out.append(f"| `{name}` | {what} |")
        out.append("")
    out.append(MAP_END)
    return "\n".join(out)


def architecture(current: str) -> str:
    start, end = current.index(MAP_START), current.index(MAP_END) + len(MAP_END)
    return current[:start] + module_map() + current[end:]


def outputs() -> dict[Path, str]:
    return {CONFIGURATION: configuration(),
            ARCHITECTURE: architecture(ARCHITECTURE.read_text(encoding="utf-8"))}


def main() -> int:
    ap = argparse.ArgumentParser(description="Write the generated parts of docs/.")
    ap.add_argument("--check", action="store_true", help="only check they are current")
    args = ap.parse_args()
    stale = []
    for path, text in outputs().items():
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date (run scripts/gen_docs.py): " + ", ".join(map(str, stale)))
        return 1
    for path in stale:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
