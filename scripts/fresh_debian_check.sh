#!/usr/bin/env bash
# Proves the README's two commands on a fresh minimal Debian 12: builds a chroot with
# `debootstrap --variant=minbase bookworm`, adds only git, make and python3, copies this working
# tree into it (without .venv and var), runs `make test`, then `make run` until the login page
# answers, stops it with SIGINT to its whole process group (what Ctrl-C in a terminal sends)
# and checks that no process is left. Every step is timed; the log is WORKDIR/check.log.
#
# Usage, as root on a Debian machine:  scripts/fresh_debian_check.sh [WORKDIR]
#   WORKDIR  default /tmp/yomitoru-fresh-debian; its chroot/ is rebuilt on every run
#   SOURCE   project tree to copy (default: this working tree)
#   MIRROR   Debian mirror for debootstrap (default: the first one in this machine's sources)
#   KEEP=1   keep the chroot afterwards (about 2 GB) instead of removing it
#
# The chroot gets this machine's apt sources, apt network settings, DNS and pip configuration
# (local package folders that pip configuration names are bind-mounted read-only), because a
# real machine would be set up with its site's mirrors too; nothing else of the host leaks in.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SOURCE=${SOURCE:-$ROOT}
WORK=${1:-/tmp/yomitoru-fresh-debian}
TARGET=$WORK/chroot
LOG=$WORK/check.log
PROJECT=/root/yomitoru
SUITE=bookworm
STARTED=$(date +%s)

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
[ -f "$SOURCE/Makefile" ] || { echo "no Makefile in $SOURCE" >&2; exit 2; }
mkdir -p "$WORK"
: >"$LOG"
exec > >(tee -a "$LOG") 2>&1

elapsed() { echo $(($(date +%s) - STARTED)); }
say() { printf '[%4ss] %s\n' "$(elapsed)" "$*"; }
# Prefixes each line with the seconds since the start, so the log shows where time goes.
stamp() {
	local line now
	while IFS= read -r line; do
		printf -v now '%(%s)T' -1
		printf '[%4ss] | %s\n' "$((now - STARTED))" "$line"
	done
}

mounted_under() { awk -v t="$1" '$2 == t || index($2, t "/") == 1 { print $2 }' /proc/mounts | sort -r; }

# Processes whose root directory is the chroot: whatever was started inside it.
chroot_processes() {
	local proc
	for proc in /proc/[0-9]*; do
		[ "$(readlink "$proc/root" 2>/dev/null)" = "$TARGET" ] && echo "${proc#/proc/}"
	done
	return 0
}

release_chroot() {
	local pids mount
	pids=$(chroot_processes)
	if [ -n "$pids" ]; then
		say "killing processes left in the chroot: $pids"
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		sleep 1
	fi
	for mount in $(mounted_under "$TARGET"); do
		umount "$mount" 2>/dev/null || umount -l "$mount"
	done
}

remove_chroot() {
	release_chroot
	if [ -n "$(mounted_under "$TARGET")" ]; then
		# Never rm -rf a tree with the host's /dev or /proc still mounted inside it.
		say "still mounted under $TARGET, not removing it"
		return 1
	fi
	rm -rf --one-file-system "$TARGET"
}

finish() {
	local status=$?
	if [ "${KEEP:-0}" = 1 ]; then
		release_chroot
		say "chroot kept in $TARGET"
	else
		remove_chroot || true
	fi
	say "log: $LOG"
	exit "$status"
}
trap finish EXIT

# The first Debian mirror of this machine's apt sources (deb822 or one-line format).
host_mirror() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
	[ -n "$uri" ] || uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
		awk '$2 !~ /security/ { print $2; exit }')
	echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${MIRROR:-$(host_mirror)}

say "fresh Debian check of $SOURCE in $TARGET (mirror $MIRROR)"
if ! command -v debootstrap >/dev/null; then
	say "installing debootstrap (apt)"
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
fi
[ -e "$TARGET" ] && remove_chroot

# --- 1. a minimal Debian 12 -------------------------------------------------------------
t=$(date +%s)
say "debootstrap --variant=minbase $SUITE"
debootstrap --variant=minbase "$SUITE" "$TARGET" "$MIRROR" 2>&1 | stamp
T_DEBOOTSTRAP=$(($(date +%s) - t))
say "debootstrap took ${T_DEBOOTSTRAP}s"

# The machine's network identity and package sources, as a real install on this site would
# have them.
cp /etc/resolv.conf /etc/hosts "$TARGET/etc/"
# Site CA certificates (a TLS-inspecting proxy's, say): Debian's ca-certificates adds them to
# the system bundle when it is installed, and pip's configuration may point at that bundle.
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
	mkdir -p "$TARGET/usr/local/share/ca-certificates"
	cp -a /usr/local/share/ca-certificates/. "$TARGET/usr/local/share/ca-certificates/"
fi
rm -f "$TARGET/etc/apt/sources.list"
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
	[ -f "$file" ] || continue
	mkdir -p "$TARGET$(dirname "$file")"
	cp "$file" "$TARGET$file"
	grep -ohE '(Signed-By:|signed-by=)[[:space:]]*/[^] ]+' "$file" | sed -E 's/^[^/]*//' |
		while read -r keyring; do
			[ -e "$TARGET$keyring" ] || install -D -m 644 "$keyring" "$TARGET$keyring"
		done || true
done
# Network settings only (proxies, release-file validity), not the host's other apt habits.
for file in /etc/apt/apt.conf.d/*; do
	grep -q 'Acquire' "$file" && cp "$file" "$TARGET/etc/apt/apt.conf.d/"
done

# pip configuration: global, XDG and root's files, and PIP_* / proxy variables.
for file in /etc/pip.conf /etc/xdg/pip /root/.config/pip /root/.pip; do
	[ -e "$file" ] || continue
	mkdir -p "$TARGET$(dirname "$file")"
	cp -a "$file" "$TARGET$file"
done
mapfile -t PASS_ENV < <(env | grep -E '^(PIP_[A-Z_]+|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)=' || true)

bind_in() {
	mkdir -p "$TARGET$1"
	mount --bind "$1" "$TARGET$1"
}
mkdir -p "$TARGET/proc"
mount -t proc proc "$TARGET/proc"
bind_in /sys
bind_in /dev
# Chromium needs /dev/shm; a plain bind of /dev does not carry the mounts below it.
for path in /dev/pts /dev/shm; do
	if mountpoint -q "$path"; then bind_in "$path"; fi
done
# Local folders that pip configuration points at (find-links, file:// indexes), read-only.
for path in $( (cat /etc/pip.conf /root/.config/pip/pip.conf /root/.pip/pip.conf 2>/dev/null
	printf '%s\n' "${PASS_ENV[@]}") | grep -oE '(file://)?/[^[:space:]"]+' | sed 's|^file://||' | sort -u); do
	[ "$(basename "$path")" = simple ] && path=$(dirname "$path") # index pages link to ../files
	case $path in /etc/* | /usr/* | /root/*) continue ;; esac
	if [ ! -d "$path" ] || mountpoint -q "$TARGET$path"; then continue; fi
	say "bind-mounting pip's local folder $path read-only"
	bind_in "$path"
	mount -o remount,bind,ro "$TARGET$path"
done

in_chroot() {
	chroot "$TARGET" /usr/bin/env -i HOME=/root TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${PASS_ENV[@]}" "$@"
}

t=$(date +%s)
say "apt-get install git make python3 (nothing else)"
in_chroot sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git make python3' 2>&1 | stamp
T_BASE=$(($(date +%s) - t))
say "base packages took ${T_BASE}s"
# shellcheck disable=SC2016 # dpkg-query's own ${Package}, not the shell's
in_chroot dpkg-query -W -f='${Package}\n' | sort >"$WORK/packages-base.txt"

say "copying $SOURCE to $PROJECT (without .venv, var and caches)"
mkdir -p "$TARGET$PROJECT"
tar -C "$SOURCE" -cf - --exclude=./.venv --exclude=./var --exclude=__pycache__ \
	--exclude=.mypy_cache --exclude=.ruff_cache --exclude=.pytest_cache . |
	tar -C "$TARGET$PROJECT" -xf -

# --- 2. make test -------------------------------------------------------------------------
t=$(date +%s)
say "make test"
set +e
in_chroot make -C "$PROJECT" test 2>&1 | stamp
TEST_STATUS=${PIPESTATUS[0]}
set -e
T_TEST=$(($(date +%s) - t))
say "make test exited with $TEST_STATUS after ${T_TEST}s"
PYTEST_SUMMARY=$(grep -E '(passed|failed|error).* in [0-9.]+s' "$LOG" | tail -1 | sed 's/^.*| //' || true)
say "pytest: ${PYTEST_SUMMARY:-no summary line (pytest did not run to the end)}"
# shellcheck disable=SC2016
in_chroot dpkg-query -W -f='${Package}\n' | sort >"$WORK/packages-after-make.txt"
ADDED=$(comm -13 "$WORK/packages-base.txt" "$WORK/packages-after-make.txt" | wc -l)
say "make added $ADDED Debian packages (list: comm -13 $WORK/packages-{base,after-make}.txt)"

# --- 3. make run, login page, Ctrl-C ------------------------------------------------------
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUN_LOG=$WORK/run.log
t=$(date +%s)
say "make run HOST=127.0.0.1 PORT=$PORT (output in $RUN_LOG)"
# A session of its own: its process group stands for a terminal's foreground job.
setsid chroot "$TARGET" /usr/bin/env -i HOME=/root TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${PASS_ENV[@]}" \
	make -C "$PROJECT" run HOST=127.0.0.1 PORT="$PORT" >"$RUN_LOG" 2>&1 &
RUN_PID=$!
sleep 0.2
PGID=$(ps -o pgid= -p "$RUN_PID" | tr -d ' ')

URL=http://127.0.0.1:$PORT/admin/login/
LOGIN="no answer"
T_LOGIN=-
while kill -0 "$RUN_PID" 2>/dev/null && [ $(($(date +%s) - t)) -lt 900 ]; do
	code=$(curl -s -o "$WORK/login.html" -w '%{http_code}' "$URL" || true)
	if [ "$code" = 200 ]; then
		T_LOGIN=$(($(date +%s) - t))
		grep -q 'ログイン' "$WORK/login.html" && LOGIN="200, Japanese login page" || LOGIN="200"
		break
	fi
	sleep 0.5
done
say "login page: $LOGIN after ${T_LOGIN}s"
# The tail of make run's output, without the worker's chatter and the demo passwords.
sed -n '/Demo users/,/Demo batch/!p' "$RUN_LOG" | grep -vE 'django-q (Process|Enqueued)' |
	sed 's/^/    run | /' | tail -n 12 || true

say "SIGINT to process group $PGID (Ctrl-C)"
t=$(date +%s)
kill -INT -- "-$PGID" 2>/dev/null || true
while kill -0 "$RUN_PID" 2>/dev/null && [ $(($(date +%s) - t)) -lt 30 ]; do sleep 0.2; done
T_STOP=$(($(date +%s) - t))
sleep 1
LEFT=$(chroot_processes | tr '\n' ' ')
say "after ${T_STOP}s: make run $(kill -0 "$RUN_PID" 2>/dev/null && echo "STILL RUNNING" || echo "ended")"
say "processes left in the chroot: ${LEFT:-none}"
sed 's/^/    run | /' "$RUN_LOG" | grep -E 'yomitoru: |Traceback|Segmentation|make: \*\*\*' | tail -n 5 || true

RUN_OK=1
[ "$T_LOGIN" = - ] && RUN_OK=0
[ -n "$LEFT" ] && RUN_OK=0
grep -q 'yomitoru: worker stopped' "$RUN_LOG" || RUN_OK=0
grep -q 'yomitoru: web server stopped' "$RUN_LOG" || RUN_OK=0
grep -qE 'Traceback|Segmentation fault' "$RUN_LOG" && RUN_OK=0

echo
say "summary"
echo "  debootstrap minbase:           ${T_DEBOOTSTRAP}s"
echo "  git make python3:              ${T_BASE}s"
echo "  make test:                     ${T_TEST}s, exit $TEST_STATUS; pytest: ${PYTEST_SUMMARY:-none}"
echo "  make run to the login page:    ${T_LOGIN}s ($LOGIN)"
echo "  Ctrl-C to everything stopped:  ${T_STOP}s, left: ${LEFT:-none}"
echo "  total:                         $(elapsed)s"
[ "$RUN_OK" = 1 ] && [ "$TEST_STATUS" = 0 ]
