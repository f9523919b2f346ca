"""The basic text hooks of .pre-commit-config.yaml, without fetching a hook repository.

Usage: python scripts/precommit_text_checks.py {whitespace,end-of-file,yaml} FILE...

- whitespace:  strips trailing spaces and tabs (rewrites the file);
- end-of-file: makes a non-empty file end with exactly one newline (rewrites the file);
- yaml:        parses each file with yaml.safe_load_all.

Like pre-commit-hooks' fixers, exits 1 when it changed or refused a file, so the commit
stops and the fixed files can be reviewed and added again.
"""

import re
import sys
from pathlib import Path

import yaml

TRAILING = re.compile(rb"[ \t]+(?=\r?\n|\Z)")


def whitespace(path: Path) -> bool:
    data = path.read_bytes()
    fixed = TRAILING.sub(b"", data)
    if fixed != data:
        path.write_bytes(fixed)
        print(f"Fixed trailing whitespace in {path}")
    return fixed == data


def end_of_file(path: Path) -> bool:
    data = path.read_bytes()
    if not data.strip():
        return True
    fixed = data.rstrip(b"\r\n") + b"\n"
    if fixed != data:
        path.write_bytes(fixed)
        print(f"Fixed the end of {path}")
    return fixed == data


def valid_yaml(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            for _ in yaml.safe_load_all(handle):
                pass
    except yaml.YAMLError as exc:
        print(f"{path}: {exc}")
        return False
    return True


CHECKS = {"whitespace": whitespace, "end-of-file": end_of_file, "yaml": valid_yaml}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in CHECKS:
        print(__doc__)
        return 2
    check = CHECKS[argv[0]]
    results = [check(Path(name)) for name in argv[1:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
