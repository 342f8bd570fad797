#!/usr/bin/env bash
# Chaos run: two service instances (API + one worker each, tiny models) on one PostgreSQL schema; one of them is
# killed with SIGKILL at random intervals and restarted, for a given time; then every job must end. Prints what a
# client would care about: lost, failed, duplicated and resumed jobs. Repeatable: --seed fixes the kill schedule.
#
#   ./mvnw -o -q package -DskipTests            # builds target/vlm3d-server.jar
#   tools/chaos.sh --duration 1500 --jobs 12 --steps 40 --min-gap 15 --max-gap 45 --seed 7
#
# CPU-heavy (two engines): on a shared machine run it under the build lock (flock /tmp/vlm3d-heavy.lock ...).
# Needs java, curl, psql and PostgreSQL on 127.0.0.1:5432 (database test, user postgres, trust).
set -euo pipefail

DURATION=300 JOBS=8 STEPS=40 MIN_GAP=10 MAX_GAP=30 SEED=1 LEASE=10 WAIT=900 KEEP=0
JAR=target/vlm3d-server.jar PORTS=(18081 18082)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;   # seconds of killing
    --jobs) JOBS=$2; shift 2 ;;           # jobs submitted at the start
    --steps) STEPS=$2; shift 2 ;;         # steps per job (preview preset: a checkpoint every 10)
    --min-gap) MIN_GAP=$2; shift 2 ;;     # seconds between kills, drawn uniformly in [min-gap, max-gap]
    --max-gap) MAX_GAP=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --lease) LEASE=$2; shift 2 ;;         # vlm3d.queue.lease-duration in seconds
    --wait) WAIT=$2; shift 2 ;;           # seconds to wait for every job to finish after the last kill
    --jar) JAR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;              # keep the schema and logs
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -f "$JAR" ]] || { echo "no $JAR: build it with ./mvnw -o -q package -DskipTests" >&2; exit 2; }

RANDOM=$SEED
SCHEMA="chaos_$(date +%s)_$$"
ADMIN="chaos-admin-$(date +%s)-$RANDOM$RANDOM"
WORK=$(mktemp -d /tmp/vlm3d-chaos.XXXXXX)
PSQL=(psql -h 127.0.0.1 -U postgres -d test -At -v ON_ERROR_STOP=1)
declare -a PIDS=(0 0)

sql() { PGOPTIONS="-c search_path=$SCHEMA" "${PSQL[@]}" -c "$1"; }

start() {  # start instance $1 (0 or 1)
  local i=$1
  java -Xmx2g -Dai.djl.offline=true -jar "$JAR" \
    --server.port="${PORTS[$i]}" \
    --spring.datasource.url="jdbc:postgresql://127.0.0.1:5432/test?currentSchema=$SCHEMA" \
    --spring.flyway.schemas="$SCHEMA" --spring.flyway.default-schema="$SCHEMA" \
    --vlm3d.security.admin-key="$ADMIN" \
    --vlm3d.queue.lease-duration="${LEASE}s" --vlm3d.queue.heartbeat-interval=2s \
    --vlm3d.queue.rescue-interval=2s --vlm3d.queue.retry-base-delay=1s --vlm3d.queue.poll-interval=1s \
    --vlm3d.worker.count=1 --logging.level.root=WARN >>"$WORK/instance-$i.log" 2>&1 &
  PIDS[$i]=$!
}

ready() {  # wait until instance $1 answers its readiness probe
  local deadline=$((SECONDS + 180))
  until curl -fsS "http://127.0.0.1:${PORTS[$1]}/actuator/health/readiness" >/dev/null 2>&1; do
    (( SECONDS < deadline )) || { echo "instance $1 did not start; see $WORK/instance-$1.log" >&2; return 1; }
    sleep 1
  done
}

cleanup() {
  for p in "${PIDS[@]}"; do [[ $p -gt 0 ]] && kill -9 "$p" 2>/dev/null || true; done
  if [[ $KEEP -eq 0 ]]; then
    "${PSQL[@]}" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
  else
    echo "kept schema $SCHEMA and logs in $WORK"
  fi
}
trap cleanup EXIT

"${PSQL[@]}" -c "CREATE SCHEMA $SCHEMA" >/dev/null
start 0; ready 0   # the first instance migrates the schema alone
start 1; ready 1

# every job is submitted to both instances with one Idempotency-Key, as a client retrying elsewhere would:
# the two requests must make one job. Jobs come in twins (2k-1 and 2k share prompt and seed under different keys):
# whatever the kills did to each, a twin's model.glb must be byte-identical to the other's.
for ((j = 1; j <= JOBS; j++)); do
  twin=$(((j + 1) / 2))
  body="{\"prompt\": \"a chaos test object number $twin\", \"seed\": $twin, \"preset\": \"preview\", \"steps\": $STEPS}"
  for i in 0 1; do
    for try in 1 2 3 4 5; do
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${PORTS[$i]}/jobs" \
        -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -H "Idempotency-Key: chaos-$j" \
        -d "$body" || true)
      [[ $code == 202 || $code == 200 ]] && break
      sleep 1
    done
  done
done
echo "submitted $JOBS jobs ($STEPS steps each) to both instances; killing for ${DURATION}s (seed $SEED)"

KILLS=0
END=$((SECONDS + DURATION))
while (( SECONDS < END )); do
  sleep $((MIN_GAP + RANDOM % (MAX_GAP - MIN_GAP + 1)))
  (( SECONDS < END )) || break
  victim=$((RANDOM % 2))
  kill -9 "${PIDS[$victim]}" 2>/dev/null || true
  wait "${PIDS[$victim]}" 2>/dev/null || true
  KILLS=$((KILLS + 1))
  running=$(sql "SELECT count(*) FROM jobs WHERE status = 'RUNNING'")
  echo "$(date -u +%T) kill $KILLS: instance $victim (pid ${PIDS[$victim]}), $running job(s) running"
  start "$victim"
  # the jobs must finish even if nothing runs while the victim restarts; keep at least one instance up
  [[ $((RANDOM % 2)) -eq 0 ]] || ready "$victim" || true
  left=$(sql "SELECT count(*) FROM jobs WHERE status IN ('QUEUED', 'RUNNING')")
  [[ $left -gt 0 ]] || { echo "every job finished before the kill schedule ended"; break; }
done

ready 0 || true; ready 1 || true
DEADLINE=$((SECONDS + WAIT))
until [[ $(sql "SELECT count(*) FROM jobs WHERE status IN ('QUEUED', 'RUNNING')") -eq 0 ]]; do
  (( SECONDS < DEADLINE )) || { echo "jobs still unfinished after ${WAIT}s" >&2; break; }
  sleep 5
done

read -r STORED KEYS SUCCEEDED FAILED UNFINISHED <<<"$(sql "SELECT count(*), count(DISTINCT idempotency_key),
  count(*) FILTER (WHERE status = 'SUCCEEDED'), count(*) FILTER (WHERE status = 'FAILED'),
  count(*) FILTER (WHERE status IN ('QUEUED', 'RUNNING')) FROM jobs" | tr '|' ' ')"
DUPLICATE_JOBS=$((STORED - KEYS))
# a write by an attempt that had lost its lease: an artifact or step from another attempt than the one that finished
ZOMBIE=$(sql "SELECT count(*) FROM jobs j WHERE j.status = 'SUCCEEDED' AND EXISTS (SELECT 1 FROM artifacts a
  WHERE a.job_id = j.id AND a.kind = 'OUTPUT' AND a.attempt <> j.attempt)")
read -r RESUMED INTERRUPTIONS MAX_ATTEMPT NO_GLB LEFT_CHECKPOINTS <<<"$(sql "SELECT
  count(*) FILTER (WHERE resumed_from_step > 0), coalesce(sum(interruptions), 0), coalesce(max(attempt), 0),
  count(*) FILTER (WHERE status = 'SUCCEEDED' AND NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.job_id = jobs.id
                   AND a.kind = 'OUTPUT' AND a.name = 'model.glb')),
  (SELECT count(*) FROM artifacts a JOIN jobs j2 ON j2.id = a.job_id WHERE a.kind = 'CHECKPOINT'
          AND j2.status IN ('SUCCEEDED', 'FAILED', 'CANCELLED'))
  FROM jobs" | tr '|' ' ')"
LOST=$((JOBS - KEYS + UNFINISHED + NO_GLB))
# twins whose model.glb differ; and the twin pairs where one ran uninterrupted and the other was interrupted, which
# compare a resumed run with an uninterrupted one directly
read -r TWINS DIVERGED AGAINST_CLEAN <<<"$(sql "WITH glb AS (SELECT j.prompt, j.seed, j.interruptions, a.sha256
    FROM jobs j JOIN artifacts a ON a.job_id = j.id AND a.kind = 'OUTPUT' AND a.name = 'model.glb'
    WHERE j.status = 'SUCCEEDED'),
  pairs AS (SELECT prompt, seed, count(DISTINCT sha256) AS hashes, min(interruptions) AS least,
    max(interruptions) AS most FROM glb GROUP BY prompt, seed HAVING count(*) = 2)
  SELECT count(*), count(*) FILTER (WHERE hashes > 1), count(*) FILTER (WHERE least = 0 AND most > 0) FROM pairs" \
  | tr '|' ' ')"

echo
echo "| kills | duration (s) | jobs | succeeded | lost | failed | duplicated | resumed | interruptions | max attempt | checkpoints left | twin GLBs identical | of which vs. uninterrupted |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
echo "| $KILLS | $DURATION | $JOBS | $SUCCEEDED | $LOST | $FAILED | $((DUPLICATE_JOBS + ZOMBIE)) | $RESUMED | $INTERRUPTIONS | $MAX_ATTEMPT | $LEFT_CHECKPOINTS | $((TWINS - DIVERGED))/$TWINS | $AGAINST_CLEAN |"
echo
echo "lost = submitted but missing, unfinished, or SUCCEEDED without model.glb; duplicated = extra job rows for one"
echo "Idempotency-Key plus outputs written by a superseded attempt; resumed = jobs that resumed from a checkpoint > 0;"
echo "twin GLBs identical = pairs of succeeded jobs with one prompt and seed whose model.glb have one SHA-256"
if [[ $FAILED -gt 0 ]]; then
  sql "SELECT id, error_code, error_message, attempt, failures, interruptions FROM jobs WHERE status = 'FAILED'"
fi
[[ $LOST -eq 0 && $FAILED -eq 0 && $((DUPLICATE_JOBS + ZOMBIE)) -eq 0 && $DIVERGED -eq 0 ]]
