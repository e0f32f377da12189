# Shared by scripts/console and scripts/test: create or reuse .venv and install
# the project (editable) with the given extras when pyproject.toml changed.
set -eu
venv="$root/.venv"
extras="$TIPBOT_EXTRAS"
py=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >/dev/null
fi
stamp="$venv/.tipbot-installed-$extras"
want=$(cat "$root/pyproject.toml" | cksum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing Tipbot ($extras) into $venv ..." >&2
  "$venv/bin/python" -m pip install -q -e "$root[$extras]"
  echo "$want" > "$stamp"
fi
