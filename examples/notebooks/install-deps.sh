#!/usr/bin/env bash
# Installs what the notebook test needs from Debian's packages: Jupyter's nbconvert and the python3 kernel, pandas and
# matplotlib, for Debian's own /usr/bin/python3 (a pyenv or venv python3 on the PATH is not touched, nor used).
# Idempotent and quiet: does nothing when they are already there. Needs root and apt-get; exits non-zero otherwise,
# so callers that must not fail (CI) run it as `install-deps.sh || true` and the notebook test then skips.
set -euo pipefail

py=/usr/bin/python3
packages=(jupyter-nbconvert python3-nbconvert python3-ipykernel jupyter-client python3-pandas python3-matplotlib)

ready() {
  [ -x "$py" ] && "$py" -c 'import nbconvert, ipykernel, jupyter_client, pandas, matplotlib' >/dev/null 2>&1 \
    && "$py" -m jupyter nbconvert --version >/dev/null 2>&1
}

if ready; then exit 0; fi

command -v apt-get >/dev/null 2>&1 || { echo "install-deps: apt-get not found (not Debian/Ubuntu); install ${packages[*]} by hand" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "install-deps: must run as root to apt-get install ${packages[*]}" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp -t hydragen-install-deps.XXXXXX)"
trap 'rm -f "$log"' EXIT
# Try the current package lists first; refresh them only if that fails (a fresh container has none).
if ! apt-get install -y -q --no-install-recommends "${packages[@]}" >"$log" 2>&1; then
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${packages[@]}"; } >"$log" 2>&1; then
    echo "install-deps: apt-get install failed; its last lines:" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
fi

ready || { echo "install-deps: packages installed but '$py -m jupyter nbconvert' or an import still fails" >&2; exit 1; }
echo "install-deps: installed ${packages[*]}" >&2
