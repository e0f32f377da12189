# Shared by scripts/console and scripts/test: create or reuse a virtual environment
# ($TIPBOT_VENV, default .venv) and install the project (editable) with the given
# extras (none: the core alone) when pyproject.toml changed.
set -eu
venv="${TIPBOT_VENV:-$root/.venv}"
extras="$TIPBOT_EXTRAS"
py=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
fi
stamp="$venv/.tipbot-installed-${extras:-core}"
want=$(cat "$root/pyproject.toml" | cksum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing Tipbot ($extras) into $venv ..." >&2
  "$venv/bin/python" -m pip install -q -e "$root${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi
