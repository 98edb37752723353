#!/usr/bin/env bash
# with-keyring.sh CMD...
#
# Runs CMD with a real, private Secret Service: a fresh D-Bus session bus (dbus-run-session) and a
# gnome-keyring-daemon started on it with an unlocked "login" keyring. The daemon's HOME, XDG_DATA_HOME
# and XDG_RUNTIME_DIR point into a temporary directory, so no real keyring of this user is read or
# touched; everything is deleted afterwards. Works headless (no X11, no desktop) and as root.
#
# CMD sees: DBUS_SESSION_BUS_ADDRESS (the private bus), GNOME_KEYRING_CONTROL, and WARDEN_KEYRING=1,
# which the keychain integration tests use to know that a Secret Service is reachable.
# CMD keeps the caller's own HOME (npm caches etc.); only the keyring daemon gets the temporary one.
#
# Exit status: CMD's status; 2 for usage errors; 3 when required tools are missing (the message says
# which Debian packages to install); 4 when the keyring could not be started.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]   (runs CMD with a private, unlocked gnome-keyring Secret Service)" >&2
  exit 2
fi

if [ -z "${WARDEN_KEYRING_INNER:-}" ]; then
  # ---- outer half: check the tools, make the sandbox, start a private session bus ---------------
  missing_pkgs=()
  command -v dbus-run-session >/dev/null 2>&1 || missing_pkgs+=(dbus)
  command -v dbus-send >/dev/null 2>&1 || { [[ " ${missing_pkgs[*]-} " == *" dbus "* ]] || missing_pkgs+=(dbus); }
  command -v gnome-keyring-daemon >/dev/null 2>&1 || missing_pkgs+=(gnome-keyring)
  command -v secret-tool >/dev/null 2>&1 || missing_pkgs+=(libsecret-tools)
  if [ "${#missing_pkgs[@]}" -gt 0 ]; then
    {
      echo "with-keyring.sh: missing tools for the Secret Service test keyring."
      echo "Install them (Debian/Ubuntu, as root):"
      echo "  apt-get update && apt-get install -y ${missing_pkgs[*]}"
    } >&2
    exit 3
  fi

  sandbox="$(mktemp -d "${TMPDIR:-/tmp}/warden-keyring.XXXXXX")"
  chmod 700 "$sandbox"
  cleanup() { rm -rf "$sandbox"; }
  trap cleanup EXIT
  mkdir -m 700 -p "$sandbox/home" "$sandbox/data" "$sandbox/config" "$sandbox/run"

  set +e
  WARDEN_KEYRING_INNER=1 WARDEN_KEYRING_SANDBOX="$sandbox" dbus-run-session -- bash "$0" "$@"
  rc=$?
  set -e
  exit "$rc"
fi

# ---- inner half: on the private bus; start and unlock the keyring, then run CMD -------------------
sandbox="${WARDEN_KEYRING_SANDBOX:?}"
unset WARDEN_KEYRING_INNER WARDEN_KEYRING_SANDBOX

# A throwaway password for a throwaway keyring (it only protects files in the temporary sandbox).
pw="warden-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

daemon_env=(env HOME="$sandbox/home" XDG_DATA_HOME="$sandbox/data" XDG_CONFIG_HOME="$sandbox/config"
  XDG_RUNTIME_DIR="$sandbox/run")

export_lines() {
  # The daemon prints NAME=value lines (GNOME_KEYRING_CONTROL, SSH_AUTH_SOCK...). Export them without eval.
  local line
  while IFS= read -r line; do
    case "$line" in
      [A-Z_]*=*) export "${line?}" ;;
    esac
  done
}

# --unlock reads the password on stdin, creates the "login" keyring (the default collection) and unlocks
# it; --start then initialises the secrets component of that same daemon and claims org.freedesktop.secrets.
if ! out="$(printf '%s' "$pw" | "${daemon_env[@]}" gnome-keyring-daemon --daemonize --unlock --components=secrets 2>"$sandbox/daemon.log")"; then
  echo "with-keyring.sh: gnome-keyring-daemon --unlock failed:" >&2
  cat "$sandbox/daemon.log" >&2
  exit 4
fi
export_lines <<<"$out"
if ! out="$("${daemon_env[@]}" gnome-keyring-daemon --start --components=secrets 2>>"$sandbox/daemon.log")"; then
  echo "with-keyring.sh: gnome-keyring-daemon --start failed:" >&2
  cat "$sandbox/daemon.log" >&2
  exit 4
fi
export_lines <<<"$out"
unset pw

# Wait (at most ~5 s) until the Secret Service name is owned on this bus.
has_owner() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
for _ in $(seq 1 50); do
  has_owner && break
  sleep 0.1
done
if ! has_owner; then
  echo "with-keyring.sh: gnome-keyring-daemon started but no Secret Service appeared on the session bus." >&2
  cat "$sandbox/daemon.log" >&2
  exit 4
fi

export WARDEN_KEYRING=1
set +e
"$@"
rc=$?
set -e
# The daemon leaves with the session bus when dbus-run-session ends.
exit "$rc"
