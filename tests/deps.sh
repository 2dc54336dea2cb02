#!/bin/sh
# Installs the Debian packages named as arguments that are missing: with
# apt-get when run as root, else prints the exact command and fails.
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
	echo "tidings: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	    { echo "tidings: apt-get install failed" >&2; exit 1; }
else
	echo "tidings: missing packages; run as root:" >&2
	echo "    apt-get install$missing" >&2
	exit 1
fi
