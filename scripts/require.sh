# Sourced by the measurement scripts: `require COMMAND` installs the Debian
# package of that name with apt-get (as root, or with sudo) unless the command
# is already on PATH.
require() {
  command -v "$1" >/dev/null 2>&1 && return
  echo "installing $1" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$1"
}
