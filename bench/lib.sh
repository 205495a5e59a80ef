# Shared by the bench scripts: stop a process we started (or that the peer
# harness reported to us), by PID only, never by name.
# Needs a `log` function.
stop_pid() {  # pid, name
  local pid=$1 name=$2
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  log "stopped $name (pid $pid)"
}

# The PIDs the harness (../shared/bench/run.sh with KEEP_RUNNING=1) says it
# left running, from its log $1: sets RSPAMD_PID and NSD_PID.
peer_pids_from_log() {
  local left
  left=$(grep -o 'KEEP_RUNNING=1: rspamd [0-9]*, nsd [0-9]*' "$1" | tail -1 || true)
  RSPAMD_PID=$(sed -n 's/.*rspamd \([0-9]*\),.*/\1/p' <<<"$left")
  NSD_PID=$(sed -n 's/.*nsd \([0-9]*\)$/\1/p' <<<"$left")
}
