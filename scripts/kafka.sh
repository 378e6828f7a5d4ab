#!/usr/bin/env bash
# Option strings ($QUICK_OPTS, ...) are word-split on purpose.
# shellcheck disable=SC2086,SC2015,SC2016
# Local Apache Kafka (KRaft, combined broker+controller) for tests and benchmarks.
# The jars come from Maven Central through scripts/kafka/pom.xml; everything
# runtime-related lives under <repo>/.kafka (git-ignored).
#
# Usage: scripts/kafka.sh <command> [args]
#   install                          download the Kafka jars into .kafka/libs (idempotent)
#   start [--nodes N] [--port P] [--keep]
#                                    start N nodes (1 or 3; default 1). Node n listens on
#                                    127.0.0.1:P+n-1 (default P=9092), controller on
#                                    127.0.0.1:P+10000+n. Storage is wiped unless --keep.
#   stop                             stop all nodes (SIGTERM, 30 s, then SIGKILL)
#   status                           show which nodes run (exit 1 if none)
#   stop-node N | start-node N       stop / restart one node, keeping its data
#   classpath                        print the classpath ('<repo>/.kafka/libs/*')
#   bootstrap                        print the bootstrap servers of the current cluster
#   console-producer ARGS...         org.apache.kafka.tools.ConsoleProducer
#   console-consumer ARGS...         org.apache.kafka.tools.consumer.ConsoleConsumer
#   topics ARGS...                   org.apache.kafka.tools.TopicCommand
#   run CLASS ARGS...                any main class on the Kafka classpath
#                                    (e.g. org.apache.kafka.tools.ProducerPerformance)
# Tool commands default to --bootstrap-server of the running cluster when none is given.
#
# Environment:
#   KAFKA_HEAP_OPTS             broker heap        (default: -Xmx512m -Xms256m)
#   KAFKA_JVM_PERFORMANCE_OPTS  broker GC flags    (default: G1, 20 ms pause target)
#   KAFKA_TOOL_OPTS             JVM flags for tool commands (default: -Xmx512m)
#   KAFKA_START_TIMEOUT         seconds to wait for readiness (default: 90)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"
KAFKA_DIR="$REPO_ROOT/.kafka"
# A git worktree may link .kafka to the main checkout's: name it by its real path, as the running
# brokers' command lines do, so that status and stop find them.
[[ -L "$KAFKA_DIR" && -d "$KAFKA_DIR" ]] && KAFKA_DIR="$(cd "$KAFKA_DIR" && pwd -P)"
LIBS="$KAFKA_DIR/libs"
CLUSTER_ENV="$KAFKA_DIR/cluster.env"
BROKER_LOG4J="$KAFKA_DIR/log4j2-broker.properties"
TOOLS_LOG4J="$KAFKA_DIR/log4j2-tools.properties"

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
BROKER_HEAP="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
BROKER_PERF="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}"
TOOL_OPTS="${KAFKA_TOOL_OPTS:--Xmx512m -Djava.awt.headless=true}"
# Short-lived helper JVMs (format, readiness probes): start fast, small heap.
QUICK_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT=30

log() { printf '[kafka] %s\n' "$*" >&2; }
die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n1
}

classpath() { printf '%s/*' "$LIBS"; }

# ---------------------------------------------------------------- install

install() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (need Java 17+)"
  local version stamp
  version="$(kafka_version)"
  [[ -n "$version" ]] || die "cannot read <kafka.version> from $POM"
  # The stamp covers the whole pom, so editing a dependency triggers a re-install.
  stamp="$version $(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -f "$LIBS/.installed" && "$(cat "$LIBS/.installed")" == "$stamp" ]] \
     && compgen -G "$LIBS/kafka_2.13-$version.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the Kafka jars)"
  log "installing Kafka $version jars into $LIBS (Maven Central)..."
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2; then
    rm -rf "$LIBS"
    die "mvn dependency:copy-dependencies failed"
  fi
  printf '%s' "$stamp" >"$LIBS/.installed"
  log "installed $(find "$LIBS" -name '*.jar' | wc -l) jars"
}

# For tool commands: install under the lock if needed, then release the lock so
# the (possibly long-running) tool does not hold it.
ensure_installed() {
  if [[ ! -f "$LIBS/.installed" || ! -f "$TOOLS_LOG4J" ]]; then
    lock
    install
    write_log4j_configs
    flock -u 9
    exec 9>&-
  fi
}

write_log4j_configs() {
  # Broker: INFO to stdout (redirected to node-N/server.log), noisy packages at WARN.
  cat >"$BROKER_LOG4J" <<'EOF'
status = warn
name = kastor-broker
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c{1})%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.network.name = kafka.network.RequestChannel$
logger.network.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.common.name = org.apache.kafka.common
logger.common.level = WARN
logger.logcleaner.name = kafka.log.LogCleaner
logger.logcleaner.level = WARN
logger.raft.name = org.apache.kafka.raft
logger.raft.level = WARN
logger.snapshot.name = org.apache.kafka.snapshot
logger.snapshot.level = WARN
logger.storage.name = org.apache.kafka.storage.internals
logger.storage.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
  # Tools: only warnings, to stderr, so their stdout stays clean for parsing.
  cat >"$TOOLS_LOG4J" <<'EOF'
status = warn
name = kastor-tools
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

# ---------------------------------------------------------------- cluster state

load_cluster() {
  NODES="" PORT="" CLUSTER_ID=""
  if [[ -f "$CLUSTER_ENV" ]]; then
    # shellcheck disable=SC1090
    source "$CLUSTER_ENV"
  fi
}

node_dir() { printf '%s/node-%s' "$KAFKA_DIR" "$1"; }
broker_port() { echo $((PORT + $1 - 1)); }
controller_port() { echo $((PORT + 10000 + $1)); }

bootstrap_servers() {
  local n out=""
  for ((n = 1; n <= NODES; n++)); do out+="${out:+,}127.0.0.1:$(broker_port "$n")"; done
  printf '%s' "$out"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the pid of node N if its JVM is alive (and really is that node's kafka.Kafka).
node_pid() {
  local f pid
  f="$(node_dir "$1")/pid"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $(node_dir "$1")/server.properties" || return 1
  printf '%s' "$pid"
}

write_server_properties() {
  local n="$1" dir voters="" m rf isr
  dir="$(node_dir "$n")"
  rf=$((NODES < 3 ? NODES : 3))
  isr=$((rf > 1 ? 2 : 1))
  mkdir -p "$dir/data"
  {
    echo "# generated by scripts/kafka.sh — node $n of $NODES"
    echo "process.roles=broker,controller"
    echo "node.id=$n"
    if ((NODES == 1)); then
      # Single-node dynamic quorum (formatted with --standalone).
      echo "controller.quorum.bootstrap.servers=127.0.0.1:$(controller_port 1)"
    else
      # Static quorum: all nodes are voters.
      for ((m = 1; m <= NODES; m++)); do voters+="${voters:+,}$m@127.0.0.1:$(controller_port "$m")"; done
      echo "controller.quorum.voters=$voters"
    fi
    echo "listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")"
    echo "advertised.listeners=PLAINTEXT://127.0.0.1:$(broker_port "$n"),CONTROLLER://127.0.0.1:$(controller_port "$n")"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "controller.listener.names=CONTROLLER"
    echo "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    echo "log.dirs=$dir/data"
    echo "num.partitions=1"
    echo "default.replication.factor=$rf"
    echo "auto.create.topics.enable=false"
    echo "group.initial.rebalance.delay.ms=0"
    echo "offsets.topic.num.partitions=1"
    echo "offsets.topic.replication.factor=$rf"
    echo "transaction.state.log.num.partitions=1"
    echo "transaction.state.log.replication.factor=$rf"
    echo "transaction.state.log.min.isr=$isr"
    echo "share.coordinator.state.topic.num.partitions=1"
    echo "share.coordinator.state.topic.replication.factor=$rf"
    echo "share.coordinator.state.topic.min.isr=$isr"
    echo "num.network.threads=2"
    echo "num.io.threads=4"
    echo "num.recovery.threads.per.data.dir=1"
    echo "log.retention.hours=24"
    echo "log.segment.bytes=134217728"
    echo "log.retention.check.interval.ms=300000"
  } >"$dir/server.properties"
}

format_node() {
  local n="$1" dir extra=()
  dir="$(node_dir "$n")"
  ((NODES == 1)) && extra=(--standalone)
  if ! "$JAVA" $QUICK_OPTS -Dlog4j2.configurationFile="$TOOLS_LOG4J" -cp "$(classpath)" \
       kafka.tools.StorageTool format -t "$CLUSTER_ID" -c "$dir/server.properties" "${extra[@]}" \
       >"$dir/format.log" 2>&1; then
    cat "$dir/format.log" >&2
    return 1
  fi
}

launch_node() {
  local n="$1" dir
  dir="$(node_dir "$n")"
  [[ -f "$dir/server.properties" ]] || die "node $n has no config; run 'start' first"
  if port_open "$(broker_port "$n")" || port_open "$(controller_port "$n")"; then
    log "port $(broker_port "$n") or $(controller_port "$n") is already in use by another process"
    return 1
  fi
  {
    echo "==== $(date '+%F %T') starting node $n"
  } >>"$dir/server.log"
  # setsid: own session, so a Ctrl-C to the caller does not kill the broker.
  # The subshell writes its own pid and then execs java, so the pid file is java's pid.
  # fd 9 (the lock) is closed for the broker.
  # shellcheck disable=SC2086
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$dir/pid" \
    "$JAVA" $BROKER_HEAP $BROKER_PERF \
    -Dlog4j2.configurationFile="$BROKER_LOG4J" \
    -cp "$(classpath)" kafka.Kafka "$dir/server.properties" \
    </dev/null >>"$dir/server.log" 2>&1 9>&- &
  disown || true
  # Wait for the pid file to name the java process (it is written just before exec).
  local i
  for ((i = 0; i < 100; i++)); do
    node_pid "$n" >/dev/null && return 0
    sleep 0.05
  done
  log "node $n: JVM did not start"
  tail_logs "$n"
  return 1
}

tail_logs() {
  local n dir
  for n in "$@"; do
    dir="$(node_dir "$n")"
    echo "----- tail of $dir/server.log -----" >&2
    tail -n 40 "$dir/server.log" >&2 2>/dev/null || true
  done
}

# Wait until the given nodes accept connections and the cluster reports $1 live brokers.
wait_ready() {
  local expect="$1"; shift
  local deadline=$((SECONDS + START_TIMEOUT)) n out count
  for n in "$@"; do
    while ! port_open "$(broker_port "$n")"; do
      if ! node_pid "$n" >/dev/null; then
        log "node $n exited during startup"
        tail_logs "$n"
        return 1
      fi
      if ((SECONDS >= deadline)); then
        log "node $n did not open port $(broker_port "$n") within ${START_TIMEOUT}s"
        tail_logs "$n"
        return 1
      fi
      sleep 0.3
    done
  done
  # Metadata check: brokers listed by the cluster (registered and unfenced).
  while :; do
    out="$("$JAVA" $QUICK_OPTS -Dlog4j2.configurationFile="$TOOLS_LOG4J" -cp "$(classpath)" \
      org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$(bootstrap_servers)" 2>/dev/null || true)"
    count="$(grep -c ' (id: [0-9]* rack: ' <<<"$out" || true)"
    ((count >= expect)) && return 0
    if ((SECONDS >= deadline)); then
      log "cluster reports $count/$expect live brokers after ${START_TIMEOUT}s"
      tail_logs "$@"
      return 1
    fi
    sleep 1
  done
}

running_nodes() {
  local d n
  for d in "$KAFKA_DIR"/node-*; do
    [[ -d "$d" ]] || continue
    n="${d##*-}"
    node_pid "$n" >/dev/null && echo "$n"
  done
  return 0
}

# ---------------------------------------------------------------- locking

lock() {
  mkdir -p "$KAFKA_DIR"
  exec 9>"$KAFKA_DIR/.lock"
  flock -w 300 9 || die "another scripts/kafka.sh is busy (lock $KAFKA_DIR/.lock)"
}

# ---------------------------------------------------------------- commands

cmd_start() {
  local nodes=1 port=9092 keep=0
  while (($#)); do
    case "$1" in
      --nodes) nodes="${2:?--nodes needs a value}"; shift 2 ;;
      --nodes=*) nodes="${1#*=}"; shift ;;
      --port) port="${2:?--port needs a value}"; shift 2 ;;
      --port=*) port="${1#*=}"; shift ;;
      --keep) keep=1; shift ;;
      *) die "start: unknown option '$1' (use --nodes 1|3, --port P, --keep)" ;;
    esac
  done
  [[ "$nodes" =~ ^[1-9]$ ]] || die "--nodes must be 1..9 (1 or 3 are the tested setups)"
  [[ "$port" =~ ^[0-9]+$ ]] && ((port > 1023 && port < 55000)) || die "--port must be 1024..54999"

  lock
  local t0=$SECONDS running
  running="$(running_nodes)"
  if [[ -n "$running" ]]; then
    load_cluster
    local alive=1 n count
    count="$(wc -w <<<"$running")"
    for n in $running; do port_open "$(broker_port "$n")" || alive=0; done
    ((alive)) || die "node(s) ${running//$'\n'/ } have a live JVM but no open port; run 'stop' first"
    if [[ "$PORT" != "$port" ]] || ((count < nodes)); then
      die "running: node(s) ${running//$'\n'/ } of $NODES on port $PORT, but --nodes $nodes --port $port was asked; run 'stop' (or 'start-node N') first"
    fi
    log "already running: node(s) ${running//$'\n'/ } of $NODES, bootstrap $(bootstrap_servers)"
    return 0
  fi

  # Refuse early if another process holds one of the ports.
  local n p
  for ((n = 1; n <= nodes; n++)); do
    for p in $((port + n - 1)) $((port + 10000 + n)); do
      port_open "$p" && die "port $p is already in use by another process"
    done
  done

  install
  write_log4j_configs

  if ((keep)) && [[ -f "$CLUSTER_ENV" ]]; then
    load_cluster
    [[ "$NODES" == "$nodes" && "$PORT" == "$port" ]] \
      || die "--keep: existing storage is for --nodes $NODES --port $PORT"
    log "starting $NODES node(s) with existing storage (cluster $CLUSTER_ID)"
  else
    rm -rf "$KAFKA_DIR"/node-* "$CLUSTER_ENV"
    NODES="$nodes" PORT="$port"
    CLUSTER_ID="$("$JAVA" $QUICK_OPTS -Dlog4j2.configurationFile="$TOOLS_LOG4J" -cp "$(classpath)" \
      kafka.tools.StorageTool random-uuid)"
    [[ "$CLUSTER_ID" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid gave '$CLUSTER_ID'"
    printf 'NODES=%s\nPORT=%s\nCLUSTER_ID=%s\n' "$NODES" "$PORT" "$CLUSTER_ID" >"$CLUSTER_ENV"
    log "formatting $NODES node(s), cluster id $CLUSTER_ID"
    local n pids=() fail=0
    for ((n = 1; n <= NODES; n++)); do
      write_server_properties "$n"
      format_node "$n" & pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n" || fail=1; done
    ((fail == 0)) || die "storage format failed"
  fi

  local all=()
  for ((n = 1; n <= NODES; n++)); do
    all+=("$n")
    if ! launch_node "$n"; then
      stop_nodes "${all[@]}"
      exit 1
    fi
  done
  log "waiting for $NODES node(s) on $(bootstrap_servers)..."
  if ! wait_ready "$NODES" "${all[@]}"; then
    log "start failed; stopping what was started"
    stop_nodes "${all[@]}"
    exit 1
  fi
  log "Kafka $(kafka_version) ready: $NODES node(s), bootstrap $(bootstrap_servers) ($((SECONDS - t0))s)"
}

# Stop the given nodes in parallel: SIGTERM, wait up to $STOP_TIMEOUT s, SIGKILL.
stop_nodes() {
  local n pid pids=() deadline
  for n in "$@"; do
    if pid="$(node_pid "$n")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$n:$pid")
    else
      rm -f "$(node_dir "$n")/pid"
    fi
  done
  ((${#pids[@]})) || return 0
  deadline=$((SECONDS + STOP_TIMEOUT))
  local left
  while :; do
    left=()
    for n in "${pids[@]}"; do kill -0 "${n#*:}" 2>/dev/null && left+=("$n"); done
    ((${#left[@]})) || break
    if ((SECONDS >= deadline)); then
      for n in "${left[@]}"; do
        log "node ${n%%:*} did not stop in ${STOP_TIMEOUT}s; SIGKILL"
        kill -KILL "${n#*:}" 2>/dev/null || true
      done
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  for n in "${pids[@]}"; do rm -f "$(node_dir "${n%%:*}")/pid"; done
}

cmd_stop() {
  lock
  local running
  running="$(running_nodes)"
  if [[ -z "$running" ]]; then
    rm -f "$KAFKA_DIR"/node-*/pid
    log "not running"
    return 0
  fi
  log "stopping node(s) ${running//$'\n'/ }..."
  local t0=$SECONDS
  # shellcheck disable=SC2086
  stop_nodes $running
  rm -f "$KAFKA_DIR"/node-*/pid
  log "stopped ($((SECONDS - t0))s)"
}

cmd_status() {
  load_cluster
  if [[ -z "$NODES" ]]; then
    echo "kafka: not configured (run 'start')"
    return 1
  fi
  local n pid any=0 state
  echo "kafka $(kafka_version): $NODES node(s), cluster $CLUSTER_ID, bootstrap $(bootstrap_servers)"
  for ((n = 1; n <= NODES; n++)); do
    if pid="$(node_pid "$n")"; then
      any=1
      if port_open "$(broker_port "$n")"; then state="running"; else state="starting"; fi
      echo "  node $n: $state (pid $pid, 127.0.0.1:$(broker_port "$n"), controller :$(controller_port "$n"))"
    else
      echo "  node $n: stopped"
    fi
  done
  ((any))
}

node_arg() {
  local n="${1:-}"
  load_cluster
  [[ -n "$NODES" ]] || die "no cluster configured; run 'start' first"
  [[ "$n" =~ ^[0-9]+$ ]] && ((n >= 1 && n <= NODES)) || die "node must be 1..$NODES"
  printf '%s' "$n"
}

cmd_stop_node() {
  local n
  n="$(node_arg "${1:-}")"
  lock
  load_cluster
  if ! node_pid "$n" >/dev/null; then
    log "node $n is not running"
    return 0
  fi
  local t0=$SECONDS
  stop_nodes "$n"
  log "node $n stopped ($((SECONDS - t0))s)"
}

cmd_start_node() {
  local n
  n="$(node_arg "${1:-}")"
  lock
  load_cluster
  if node_pid "$n" >/dev/null; then
    log "node $n is already running"
    return 0
  fi
  install
  local t0=$SECONDS
  launch_node "$n" || exit 1
  # Ready when this node listens and the cluster counts every running node as live.
  local live
  live="$(running_nodes | wc -l)"
  wait_ready "$live" "$n" || die "node $n failed to start"
  log "node $n started on 127.0.0.1:$(broker_port "$n") ($((SECONDS - t0))s)"
}

# Run a Kafka main class with the tools logging config. With auto=1, adds
# --bootstrap-server for the running cluster unless the caller gave one.
run_tool() {
  local auto="$1" cls="$2"; shift 2
  ensure_installed
  local args=("$@") a
  if ((auto)); then
    for a in "$@"; do
      case "$a" in
        --bootstrap-server | --bootstrap-server=* | --broker-list | --broker-list=* | --help | -h | --version) auto=0 ;;
      esac
    done
  fi
  if ((auto)); then
    load_cluster
    [[ -n "$NODES" ]] && args=(--bootstrap-server "$(bootstrap_servers)" "${args[@]}")
  fi
  # shellcheck disable=SC2086
  exec "$JAVA" $TOOL_OPTS -Dlog4j2.configurationFile="$TOOLS_LOG4J" -cp "$(classpath)" "$cls" "${args[@]}"
}

usage() {
  sed -n '4,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

main() {
  local cmd="${1:-}"
  (($#)) && shift
  case "$cmd" in
    install) lock; install; write_log4j_configs ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    stop-node) cmd_stop_node "$@" ;;
    start-node) cmd_start_node "$@" ;;
    classpath) classpath; echo ;;
    bootstrap) load_cluster; [[ -n "$NODES" ]] || die "no cluster configured"; bootstrap_servers; echo ;;
    console-producer) run_tool 1 org.apache.kafka.tools.ConsoleProducer "$@" ;;
    console-consumer) run_tool 1 org.apache.kafka.tools.consumer.ConsoleConsumer "$@" ;;
    topics) run_tool 1 org.apache.kafka.tools.TopicCommand "$@" ;;
    run) (($#)) || die "run: need a main class"; run_tool 0 "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
