#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 interpreter, or explains what is needed and exits 1.
# Looks at $FUPIN_PYTHON, then python3.13/python3.12/python3 on PATH, then pyenv's versions.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
candidates=()
[ -n "${FUPIN_PYTHON:-}" ] && candidates+=("$FUPIN_PYTHON")
for name in python3.14 python3.13 python3.12 python3; do
  p=$(command -v "$name" 2>/dev/null) && candidates+=("$p")
done
root=${PYENV_ROOT:-$HOME/.pyenv}
for d in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -rV); do
  [ -x "$d/bin/python3" ] && candidates+=("$d/bin/python3")
done
for p in "${candidates[@]}"; do
  # pyenv shims may point at an older version: ask the interpreter itself.
  if ok "$p"; then
    "$p" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "fupin needs Python 3.12 or newer and found none." >&2
echo "Install one (e.g. 'pyenv install 3.12' or your distribution's python3.12)," >&2
echo "or point FUPIN_PYTHON at it: make run FUPIN_PYTHON=/path/to/python3.12" >&2
exit 1
