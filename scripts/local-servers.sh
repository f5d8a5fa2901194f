#!/usr/bin/env bash
# Local servers for development and tests: PostgreSQL 15, NATS with JetStream, and a throwaway
# single-node Ceph cluster whose RADOS Gateway is a real S3 server (SSE-KMS with a test key).
#
#   scripts/local-servers.sh install|start|stop|status|reset [pg] [nats] [s3]   (default: all three)
#   scripts/local-servers.sh env            eval "$(scripts/local-servers.sh env)"
#
# Everything binds to 127.0.0.1 and lives under BILLING_LOCAL_DIR (default <repo>/.local, git-ignored).
# Ports: BILLING_PG_PORT (25432), BILLING_NATS_PORT (24222), BILLING_NATS_HTTP_PORT (28222),
# BILLING_S3_PORT (27480), BILLING_CEPH_MON_PORT (26789), BILLING_CEPH_PORT_MIN/MAX (26800-26900).
# Every default port (these, the demo's and the benchmarks') is below Linux's ephemeral range (32768-60999), so no
# outgoing connection can be holding one when a server binds it.
# BILLING_PG_DURABLE=1 keeps fsync and friends on (benchmarks); the default turns them off for speed.
# BILLING_PG_SHARED_BUFFERS sets PostgreSQL's shared_buffers (default 256MB).
# Also: BILLING_S3_KMS_KEY_ID (billing-local-key), BILLING_S3_BUCKET (ghasi-invoices),
# BILLING_START_TIMEOUT (120 s per server).
# Progress goes to stderr; stdout carries only the export lines (`env`, and the end of `start`).
# Needs root (apt-get, runuser); all subcommands are idempotent.
set -euo pipefail

ROOT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
STATE_DIR=$(realpath -m -- "${BILLING_LOCAL_DIR:-$ROOT_DIR/.local}")
PG_PORT=${BILLING_PG_PORT:-25432}
NATS_PORT=${BILLING_NATS_PORT:-24222}
NATS_HTTP_PORT=${BILLING_NATS_HTTP_PORT:-28222}
S3_PORT=${BILLING_S3_PORT:-27480}
MON_PORT=${BILLING_CEPH_MON_PORT:-26789}
CEPH_PORT_MIN=${BILLING_CEPH_PORT_MIN:-26800}
CEPH_PORT_MAX=${BILLING_CEPH_PORT_MAX:-26900}
KMS_KEY_ID=${BILLING_S3_KMS_KEY_ID:-billing-local-key}
S3_BUCKET=${BILLING_S3_BUCKET:-ghasi-invoices}
TIMEOUT=${BILLING_START_TIMEOUT:-120}

PG_BIN=/usr/lib/postgresql/15/bin
PG_DB=billing
NATS_DIR=$STATE_DIR/nats
CEPH_DIR=$STATE_DIR/ceph
CEPH_CONF=$CEPH_DIR/ceph.conf
RGW_UID=billing-local
ALL_SERVERS=(pg nats s3)

say() { printf '[local-servers] %s\n' "$*" >&2; }
die() { printf '[local-servers] ERROR: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# Elapsed seconds (one decimal) since a $EPOCHREALTIME value; integer maths, locale-proof.
since() {
  local t0=${1/[.,]/} t1=${EPOCHREALTIME/[.,]/}
  local ds=$(( (t1 - t0) / 100000 ))
  printf '%d.%d s' $((ds / 10)) $((ds % 10))
}

for v in BILLING_PG_PORT BILLING_NATS_PORT BILLING_NATS_HTTP_PORT BILLING_S3_PORT BILLING_CEPH_MON_PORT \
         BILLING_CEPH_PORT_MIN BILLING_CEPH_PORT_MAX BILLING_START_TIMEOUT; do
  if [[ -n ${!v:-} ]] && { ! [[ ${!v} =~ ^[0-9]+$ ]] || (( ${!v} < 1 || ${!v} > 65535 )); }; then
    die "$v must be a number in 1-65535, got '${!v}'"
  fi
done
(( CEPH_PORT_MIN < CEPH_PORT_MAX )) || die "BILLING_CEPH_PORT_MIN must be below BILLING_CEPH_PORT_MAX"

# --- process helpers ---------------------------------------------------------------------------

# alive PID: the process exists and is not a zombie (PID 1 here may reap orphans only every few seconds).
alive() {
  local st
  read -r st 2>/dev/null <"/proc/$1/stat" || return 1
  st=${st##*) }
  [[ ${st%% *} != Z ]]
}

dead() { ! alive "$1"; }

# pid_of PIDFILE COMM: print the pid if that process is alive and is really COMM (not a reused pid).
pid_of() {
  local pid='' comm=
  read -r pid 2>/dev/null <"$1" || [[ -n $pid ]] || return 1   # nats writes no final newline
  [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  read -r comm 2>/dev/null <"/proc/$pid/comm" && [[ $comm == "$2" ]] || return 1
  printf '%s\n' "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_free_or_die() {
  ! port_open "$2" || die "$1: port $2 on 127.0.0.1 is already taken by another process; pick another port (see the header of $0)"
}

# spawn LOG CMD...: run CMD in a new session, stdin from /dev/null, stdout/stderr appended to LOG, and
# every other inherited descriptor closed: no daemon holds our stdout pipe or the state lock open.
# setsid does not fork here (the child is no group leader), so the pid is CMD's; -w waits if it had to.
# daemon_exec replaces the current process: call it only as a background job or through spawn.
daemon_exec() {
  local log=$1 fd; shift
  for fd in /proc/self/fd/*; do
    fd=${fd##*/}
    if (( fd > 2 )); then eval "exec ${fd}>&-" 2>/dev/null || true; fi
  done
  cd /
  exec setsid -w "$@" </dev/null >>"$log" 2>&1
}
spawn() ( daemon_exec "$@" )

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds; fail after SECONDS.
wait_until() {
  local deadline=$(( SECONDS + $1 )); shift
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

# stop_pid NAME PID: SIGTERM, wait up to 60 s, then SIGKILL (and say so).
stop_pid() {
  local name=$1 pid=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_until 60 dead "$pid"; then
    say "$name (pid $pid) ignored SIGTERM for 60 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 dead "$pid" || die "$name (pid $pid) does not die"
  fi
}

# --- install -----------------------------------------------------------------------------------

pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

do_install() {
  local need=() s p log
  command -v curl >/dev/null || need+=(curl)
  for s in "$@"; do
    case $s in
      pg) [[ -x $PG_BIN/postgres && -x $PG_BIN/psql ]] || need+=(postgresql-15 postgresql-client-15) ;;
      nats) command -v nats-server >/dev/null || need+=(nats-server) ;;
      s3) for p in ceph-mon ceph-osd radosgw ceph-common; do pkg_installed "$p" || need+=("$p"); done ;;
    esac
  done
  (( ${#need[@]} )) || return 0
  (( EUID == 0 )) || die "installing ${need[*]} needs root"
  mkdir -p "$STATE_DIR"; log=$STATE_DIR/apt.log
  local t0=$EPOCHREALTIME
  say "installing ${need[*]} (log: $log)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update && apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${need[@]}"; } \
    </dev/null >"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get failed installing ${need[*]}; see $log"; }
  say "installed in $(since "$t0")"
}

# --- PostgreSQL --------------------------------------------------------------------------------
# postgres (the user) must traverse every parent of its data directory. When it cannot (a repo cloned
# under /root, say), the PostgreSQL files go to /var/tmp/billing-local-<hash of the state dir> and
# $STATE_DIR/pg becomes a symlink to it, so each state dir still has its own cluster and `reset` finds it.

pg_home() {
  if [[ -L $STATE_DIR/pg ]]; then readlink -- "$STATE_DIR/pg"; else printf '%s\n' "$STATE_DIR/pg"; fi
}
pg_pid() { pid_of "$(pg_home)/data/postmaster.pid" postgres; }
pg_as() ( cd / && runuser -u postgres -- "$@" )

pg_prepare_home() {
  local link=$STATE_DIR/pg alt
  if [[ ! -e $link && ! -L $link ]]; then
    if ! runuser -u postgres -- test -x "$STATE_DIR"; then
      alt=/var/tmp/billing-local-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)
      say "pg: user postgres cannot reach $STATE_DIR (a parent directory is not searchable); data goes to $alt"
      ln -s "$alt" "$link"
    fi
  fi
  install -d -o postgres -g postgres -m 700 "$(pg_home)"
}

# BILLING_PG_DURABLE=1 keeps PostgreSQL's crash-safe defaults (benchmarks measure with them); otherwise speed wins.
pg_durability_settings() {
  if [[ ${BILLING_PG_DURABLE:-0} == 1 ]]; then
    printf '# Durable defaults (BILLING_PG_DURABLE=1): fsync, synchronous_commit and full_page_writes stay on.\n'
  else
    printf '%s\n' "# LOCAL/TEST ONLY: no crash safety, for speed. Never use these settings for data you want to keep." \
      "fsync = off" "synchronous_commit = off" "full_page_writes = off"
  fi
}

pg_start() {
  local t0=$EPOCHREALTIME home data pid sock exists
  pg_prepare_home
  home=$(pg_home); data=$home/data
  if pid=$(pg_pid); then say "pg: already running (pid $pid)"; return 0; fi
  port_free_or_die pg "$PG_PORT"
  if [[ ! -f $home/initdb.done ]]; then
    rm -rf "$data"
    pg_as "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$home/initdb.log" 2>&1 || die "pg: initdb failed; see $home/initdb.log"
    printf "\ninclude 'billing-local.conf'\n" >>"$data/postgresql.conf"
    touch "$home/initdb.done"
  fi
  # Unix sockets have a ~107-byte path limit: fall back to TCP only for very deep state dirs.
  sock=$home/run
  (( ${#sock} < 90 )) || sock=
  install -d -o postgres -g postgres -m 700 "$home/run"
  cat >"$data/billing-local.conf" <<EOF
# Written by scripts/local-servers.sh on every start.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$sock'
max_connections = 200          # test fixtures open many pools
shared_buffers = ${BILLING_PG_SHARED_BUFFERS:-256MB}
$(pg_durability_settings)
EOF
  chown postgres:postgres "$data/billing-local.conf"
  spawn "$home/pg_ctl.log" runuser -u postgres -- "$PG_BIN/pg_ctl" start -w -t "$TIMEOUT" -D "$data" \
    -l "$data/server.log" || die "pg: pg_ctl start failed; see $data/server.log and $home/pg_ctl.log"
  wait_until "$TIMEOUT" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" \
    || die "pg: not ready on port $PG_PORT after ${TIMEOUT}s; see $data/server.log"
  exists=$("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -XtAc \
    "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") || die "pg: cannot query; see $data/server.log"
  [[ $exists == 1 ]] || "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB" \
    || die "pg: createdb $PG_DB failed; see $data/server.log"
  say "pg: ready on 127.0.0.1:$PG_PORT in $(since "$t0") (log: $data/server.log)"
}

pg_stop() {
  local pid home; home=$(pg_home)
  pid=$(pg_pid) || return 0
  pg_as "$PG_BIN/pg_ctl" stop -m fast -w -t 60 -D "$home/data" >>"$home/pg_ctl.log" 2>&1 \
    || say "pg: pg_ctl stop failed (see $home/pg_ctl.log); signalling pid $pid"
  stop_pid pg "$pid"
}

pg_status() {
  local pid
  if pid=$(pg_pid); then echo "pg    running  pid $pid  port $PG_PORT  ($(pg_home)/data)"
  else echo "pg    stopped  port $PG_PORT"; fi
}

# --- NATS --------------------------------------------------------------------------------------

nats_pid() { pid_of "$NATS_DIR/nats.pid" nats-server; }

nats_healthy() {
  curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$NATS_HTTP_PORT/healthz?js-enabled-only=true" 2>/dev/null
}

# nats_up PID LOG: healthy yet? Fails the script at once if the server has exited.
nats_up() {
  alive "$1" || die "nats: nats-server exited during start; see $2"
  nats_healthy
}

nats_start() {
  local t0=$EPOCHREALTIME pid log=$NATS_DIR/nats.log
  mkdir -p "$NATS_DIR/store"
  if pid=$(nats_pid); then say "nats: already running (pid $pid)"; return 0; fi
  port_free_or_die nats "$NATS_PORT"
  port_free_or_die "nats monitoring" "$NATS_HTTP_PORT"
  cat >"$NATS_DIR/nats.conf" <<EOF
# Written by scripts/local-servers.sh on every start.
server_name: billing-local
listen: "127.0.0.1:$NATS_PORT"
http: "127.0.0.1:$NATS_HTTP_PORT"
pid_file: "$NATS_DIR/nats.pid"
jetstream {
  store_dir: "$NATS_DIR/store"
  max_memory_store: 256MB
  max_file_store: 4GB
}
EOF
  rm -f "$NATS_DIR/nats.pid"
  daemon_exec "$log" nats-server -c "$NATS_DIR/nats.conf" &
  pid=$!   # nats-server itself: the job execs setsid, which execs the server
  wait_until "$TIMEOUT" nats_up "$pid" "$log" \
    || die "nats: not healthy on port $NATS_HTTP_PORT after ${TIMEOUT}s; see $log"
  say "nats: ready on 127.0.0.1:$NATS_PORT in $(since "$t0") (log: $log)"
}

nats_stop() { local pid; pid=$(nats_pid) || return 0; stop_pid nats "$pid"; }

nats_status() {
  local pid
  if pid=$(nats_pid); then echo "nats  running  pid $pid  port $NATS_PORT  monitor $NATS_HTTP_PORT"
  else echo "nats  stopped  port $NATS_PORT  monitor $NATS_HTTP_PORT"; fi
}

# --- Ceph (mon + bluestore OSD + radosgw) as S3 ---------------------------------------------------
# Daemon names: mon.a, osd.0, client.rgw.a. Pid files, logs, admin sockets: $CEPH_DIR/{run,log}.

ceph_pid() { pid_of "$CEPH_DIR/run/$1.pid" "$2"; }
mon_pid() { ceph_pid mon.a ceph-mon; }
osd_pid() { ceph_pid osd.0 ceph-osd; }
rgw_pid() { ceph_pid client.rgw.a radosgw; }
ceph_cli() { timeout 60 ceph --conf "$CEPH_CONF" --connect-timeout 15 "$@"; }
rgw_admin() { timeout 120 radosgw-admin --conf "$CEPH_CONF" "$@"; }
hex() { od -An -tx1 -N "$1" /dev/urandom | tr -d ' \n'; }

# Secrets are made once per state dir, mode 600, and printed only by `env`.
ceph_secrets() {
  local d=$CEPH_DIR
  ( umask 077
    [[ -s $d/fsid ]] || cat /proc/sys/kernel/random/uuid >"$d/fsid"
    [[ -s $d/kms-key ]] || head -c 32 /dev/urandom | base64 -w0 >"$d/kms-key"
    [[ -s $d/s3-access-key ]] || { printf 'BL'; hex 9 | tr a-f A-F; } >"$d/s3-access-key"
    [[ -s $d/s3-secret-key ]] || hex 20 >"$d/s3-secret-key" )
}

ceph_write_conf() {
  local d=$CEPH_DIR
  ( umask 077; cat >"$CEPH_CONF.tmp" <<EOF
# Written by scripts/local-servers.sh on every start: a throwaway single-node test cluster.
[global]
fsid = $(<"$d/fsid")
mon host = [v2:127.0.0.1:$MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms bind msgr1 = false
ms bind port min = $CEPH_PORT_MIN
ms bind port max = $CEPH_PORT_MAX
keyring = /dev/null
run dir = $d/run
pid file = $d/run/\$name.pid
log file = $d/log/\$name.log
mon cluster log file = $d/log/cluster.log
crash dir = $d/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
# No debug logging, not even to the in-memory ring buffer Ceph keeps for crash dumps (the default "1/5" formats
# level-5 messages for every request): on these two cores it was the largest part of the daemons' CPU per upload.
debug ms = 0/0
debug monc = 0/0
debug mon = 0/0
debug paxos = 0/0
debug auth = 0/0
debug osd = 0/0
debug bluestore = 0/0
debug bluefs = 0/0
debug bdev = 0/0
debug rocksdb = 0/0
debug objclass = 0/0
debug objecter = 0/0
debug rados = 0/0
debug rgw = 0/0
debug rgw sync = 0/0
debug finisher = 0/0
debug throttle = 0/0
debug context = 0/0
debug asok = 0/0
[mon]
mon data = $d/mon/\$id
admin socket = $d/run/\$name.asok
[osd]
osd data = $d/osd/\$id
admin socket = $d/run/\$name.asok
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 10737418240
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096
osd fast shutdown = false
# The block "device" is a file: BlueStore takes it for a disk and by default first writes objects under 64 KiB (an
# invoice PDF is ~60 KiB) into its RocksDB log, then again in place; write them once. No per-op history either.
bluestore prefer deferred size hdd = 0
bluestore prefer deferred size ssd = 0
osd enable op tracker = false
[client.rgw.a]
admin socket = $d/run/\$name.asok
rgw data = $d/rgw
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = $KMS_KEY_ID=$(<"$d/kms-key")
rgw crypt require ssl = false
EOF
  ) && mv -f "$CEPH_CONF.tmp" "$CEPH_CONF"
}

# ceph_daemon NAME PIDFN CMD...: start a self-daemonising Ceph daemon unless it already runs.
ceph_daemon() {
  local name=$1 pidfn=$2; shift 2
  if $pidfn >/dev/null; then return 0; fi
  spawn "$CEPH_DIR/log/$name.out" "$@" \
    || die "s3: $name failed to start; see $CEPH_DIR/log/$name.log and $CEPH_DIR/log/$name.out"
}

mon_ready() { ceph_cli mon stat >/dev/null 2>&1; }
osd_up() { local out; out=$(ceph_cli osd dump 2>/dev/null) && grep -q '^osd\.0 up' <<<"$out"; }
# radosgw writes its pid file only after it has forked: allow it RGW_SPAWNED + 15 s to appear.
rgw_answers() {
  local code
  if ! rgw_pid >/dev/null && (( SECONDS > RGW_SPAWNED + 15 )); then
    die "s3: radosgw is not running; see $CEPH_DIR/log/client.rgw.a.log"
  fi
  code=$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$S3_PORT/" || true)
  [[ $code == 200 || $code == 403 ]]
}

s3_start() {
  local t0=$EPOCHREALTIME d=$CEPH_DIR uuid id
  mkdir -p "$d"/{run,log,crash,mon,osd,rgw}
  RGW_SPAWNED=$SECONDS
  if mon_pid >/dev/null && osd_pid >/dev/null && rgw_pid >/dev/null && [[ -f $d/user.done ]] && rgw_answers; then
    say "s3: already running"; return 0
  fi
  # The mon's address is baked into its monmap at creation: it cannot move afterwards.
  if [[ -f $d/mon.done && $(<"$d/mon-port") != "$MON_PORT" ]]; then
    die "s3: this cluster's mon was created on port $(<"$d/mon-port"), not $MON_PORT; run '$0 reset s3' to change it"
  fi
  mon_pid >/dev/null || port_free_or_die "ceph mon" "$MON_PORT"
  rgw_pid >/dev/null || port_free_or_die s3 "$S3_PORT"
  ceph_secrets
  ceph_write_conf
  if [[ ! -f $d/mon.done ]]; then
    rm -rf "$d/mon/a" "$d/monmap"
    if ! { monmaptool --create --fsid "$(<"$d/fsid")" --addv a "[v2:127.0.0.1:$MON_PORT]" "$d/monmap" \
           && ceph-mon --conf "$CEPH_CONF" --mkfs -i a --monmap "$d/monmap"; } >>"$d/log/init.log" 2>&1; then
      die "s3: creating the mon failed; see $d/log/init.log"
    fi
    echo "$MON_PORT" >"$d/mon-port"; touch "$d/mon.done"
  fi
  ceph_daemon mon.a mon_pid ceph-mon --conf "$CEPH_CONF" -i a
  wait_until "$TIMEOUT" mon_ready || die "s3: ceph-mon not answering on port $MON_PORT; see $d/log/mon.a.log"
  say "s3: mon up after $(since "$t0")"
  if [[ ! -f $d/osd.done ]]; then
    [[ -s $d/osd-uuid ]] || cat /proc/sys/kernel/random/uuid >"$d/osd-uuid"
    uuid=$(<"$d/osd-uuid")
    id=$(ceph_cli osd new "$uuid" 2>>"$d/log/init.log") || die "s3: 'ceph osd new' failed; see $d/log/init.log"
    [[ $id == 0 ]] || die "s3: expected osd id 0, got '$id'; run '$0 reset s3'"
    rm -rf "$d/osd/0"; mkdir -p "$d/osd/0"
    ceph-osd --conf "$CEPH_CONF" -i 0 --mkfs --osd-uuid "$uuid" >>"$d/log/init.log" 2>&1 \
      || die "s3: OSD mkfs failed; see $d/log/init.log and $d/log/osd.0.log"
    touch "$d/osd.done"
  fi
  ceph_daemon osd.0 osd_pid ceph-osd --conf "$CEPH_CONF" -i 0
  wait_until "$TIMEOUT" osd_up || die "s3: osd.0 not up after ${TIMEOUT}s; see $d/log/osd.0.log"
  say "s3: osd up after $(since "$t0")"
  RGW_SPAWNED=$SECONDS
  ceph_daemon client.rgw.a rgw_pid radosgw --conf "$CEPH_CONF" -n client.rgw.a
  wait_until "$TIMEOUT" rgw_answers \
    || die "s3: radosgw not answering on 127.0.0.1:$S3_PORT after ${TIMEOUT}s; see $d/log/client.rgw.a.log"
  if [[ ! -f $d/user.done ]]; then
    rgw_admin user info --uid="$RGW_UID" >/dev/null 2>&1 \
      || rgw_admin user create --uid="$RGW_UID" --display-name="Billing local" \
           --access-key="$(<"$d/s3-access-key")" --secret-key="$(<"$d/s3-secret-key")" >/dev/null 2>>"$d/log/init.log" \
      || die "s3: creating the S3 user failed; see $d/log/init.log"
    touch "$d/user.done"
  fi
  say "s3: ready on http://127.0.0.1:$S3_PORT in $(since "$t0") (logs: $d/log/)"
}

s3_stop() {
  local name pidfn pid
  for name in client.rgw.a:rgw_pid osd.0:osd_pid mon.a:mon_pid; do
    pidfn=${name#*:}; name=${name%%:*}
    if pid=$($pidfn); then stop_pid "$name" "$pid"; fi
  done
}

s3_status() {
  local mon osd rgw
  mon=$(mon_pid) || mon=-; osd=$(osd_pid) || osd=-; rgw=$(rgw_pid) || rgw=-
  if [[ $mon != - && $osd != - && $rgw != - ]]; then
    echo "s3    running  pids mon $mon osd $osd rgw $rgw  port $S3_PORT  mon $MON_PORT"
  elif [[ $mon == - && $osd == - && $rgw == - ]]; then
    echo "s3    stopped  port $S3_PORT  mon $MON_PORT"
  else
    echo "s3    partial  pids mon $mon osd $osd rgw $rgw (run start or stop)  port $S3_PORT  mon $MON_PORT"
  fi
}

# --- env, reset, main ----------------------------------------------------------------------------

export_line() { printf "export %s='%s'\n" "$1" "${2//\'/\'\\\'\'}"; }

do_env() {
  local pg="Host=127.0.0.1;Port=$PG_PORT"
  export_line ConnectionStrings__Billing "$pg;Database=$PG_DB;Username=postgres"
  export_line ConnectionStrings__BillingReadOnly "$pg;Database=$PG_DB;Username=postgres"
  export_line Nats__Url "nats://127.0.0.1:$NATS_PORT"
  export_line S3__ServiceUrl "http://127.0.0.1:$S3_PORT"
  export_line S3__Bucket "$S3_BUCKET"
  export_line S3__KmsKeyId "$KMS_KEY_ID"
  export_line S3__ForcePathStyle true
  if [[ -s $CEPH_DIR/s3-access-key && -s $CEPH_DIR/s3-secret-key ]]; then
    export_line AWS_ACCESS_KEY_ID "$(<"$CEPH_DIR/s3-access-key")"
    export_line AWS_SECRET_ACCESS_KEY "$(<"$CEPH_DIR/s3-secret-key")"
  else
    say "no S3 credentials yet in $CEPH_DIR (run '$0 start s3'); AWS keys not exported"
  fi
  export_line AWS_REGION us-east-1
  export_line BILLING_PG_ADMIN "$pg;Username=postgres;Database=postgres"
  export_line BILLING_NATS_MONITOR_URL "http://127.0.0.1:$NATS_HTTP_PORT"
}

do_reset() {
  local s home i
  for (( i = $#; i > 0; i-- )); do   # reverse start order: s3, nats, pg
    s=${!i}
    if is_running "$s"; then "${s}_stop"; say "$s: stopped"; fi
    case $s in
      pg) home=$(pg_home)
          if [[ -L $STATE_DIR/pg && $home == /var/tmp/billing-local-* ]]; then rm -rf -- "$home"; fi
          rm -rf -- "$STATE_DIR/pg" ;;
      nats) rm -rf -- "$NATS_DIR" ;;
      s3) rm -rf -- "$CEPH_DIR" ;;
    esac
    say "$s: state deleted"
  done
}

is_running() {
  case $1 in
    pg) pg_pid >/dev/null ;;
    nats) nats_pid >/dev/null ;;
    s3) mon_pid >/dev/null || osd_pid >/dev/null || rgw_pid >/dev/null ;;
  esac
}

lock_state() {
  mkdir -p "$STATE_DIR"
  exec 9>>"$STATE_DIR/.lock"
  flock -w 600 9 || die "another local-servers.sh holds $STATE_DIR/.lock for over 600 s"
}

main() {
  local cmd=${1:-}; shift || true
  local servers=() s t0
  for s in "$@"; do
    [[ " ${ALL_SERVERS[*]} " == *" $s "* ]] || die "unknown server '$s' (known: ${ALL_SERVERS[*]})"
  done
  # Selected servers in start order (pg nats s3), each once; none named means all.
  for s in "${ALL_SERVERS[@]}"; do
    if (( $# == 0 )) || [[ " $* " == *" $s "* ]]; then servers+=("$s"); fi
  done
  case $cmd in
    install) lock_state; do_install "${servers[@]}" ;;
    start)
      (( EUID == 0 )) || die "start needs root (runuser for PostgreSQL)"
      lock_state; do_install "${servers[@]}"
      for s in "${servers[@]}"; do "${s}_start"; done
      do_env ;;
    stop)
      [[ -d $STATE_DIR ]] || exit 0
      lock_state
      for s in s3 nats pg; do
        [[ " ${servers[*]} " == *" $s "* ]] || continue
        if ! is_running "$s"; then say "$s: not running"; continue; fi
        t0=$EPOCHREALTIME; "${s}_stop"; say "$s: stopped in $(since "$t0")"
      done ;;
    status) for s in "${servers[@]}"; do "${s}_status"; done ;;
    env) do_env ;;
    reset)
      [[ -d $STATE_DIR ]] || exit 0
      lock_state; do_reset "${servers[@]}"
      if (( ${#servers[@]} == ${#ALL_SERVERS[@]} )); then
        rm -f -- "$STATE_DIR/.lock" "$STATE_DIR/apt.log"; rmdir -- "$STATE_DIR" 2>/dev/null || true
      fi ;;
    *) usage ;;
  esac
}

main "$@"
