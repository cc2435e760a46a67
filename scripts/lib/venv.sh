# Sourced by scripts/*: make sure .venv holds the pinned Python tools (moto[server], awscli).
# Re-installs only when sandbox/requirements.txt changed. Needs python3 with the venv module.

ensure_venv() {
  local root req stamp want
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  req="$root/sandbox/requirements.txt"
  stamp="$root/.venv/.s3ro-requirements"
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [[ -x "$root/.venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  echo "==> installing the sandbox's Python tools into .venv (moto[server], awscli; pinned)" >&2
  if ! python3 -m venv "$root/.venv"; then
    echo "error: python3 -m venv failed; install Python 3 with the venv module (Debian: apt-get install python3-venv)" >&2
    return 1
  fi
  "$root/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" || {
    echo "error: pip could not install sandbox/requirements.txt" >&2
    return 1
  }
  echo "$want" > "$stamp"
}
