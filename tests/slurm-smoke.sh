#!/bin/sh
# tests/slurm-smoke.sh [POOLSIM [SCENARIO]] - the Slurm path of docs/cluster.md
# on a single-node Slurm on this machine: a plan of 4 runs as a 4-task job
# array (array index = plan line), the shards merged, and the merged rows
# compared with those of `poolsim sweep -j 2` of the same runs.
#
# Needs root (it starts munged, slurmctld and slurmd). Installs Debian's
# slurmctld, slurmd, slurm-client and munge when sbatch is missing. Slurm's
# configuration, state and logs live in a temporary folder (SLURM_CONF points
# there; /etc/slurm is not touched); the daemons it started are stopped at
# the end. Exit status 0 when the rows are identical. POOLSIM defaults to
# ./poolsim (run it from the build folder), SCENARIO to the M/M/1 example.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
poolsim=$(realpath "${1:-./poolsim}")
scenario=$(realpath "${2:-$here/../scenarios/examples/mm1.ini}")
start=$(date +%s)

if ! command -v sbatch >/dev/null 2>&1; then
  echo "slurm-smoke: installing slurmctld slurmd slurm-client munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

work=$(mktemp -d /tmp/poolsim-slurm-XXXXXX)
started_munge=
cleanup() {
  status=$?
  for daemon in slurmd slurmctld; do
    [ -f "$work/$daemon.pid" ] || continue
    pid=$(cat "$work/$daemon.pid")
    kill "$pid" 2>/dev/null || true
    # slurmctld saves its state as it stops: wait for it before removing the folder
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
      sleep 0.1
      i=$((i + 1))
    done
  done
  if [ -n "$started_munge" ] && [ -f /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    echo "slurm-smoke: FAILED; logs:"
    tail -n 20 "$work"/*.log "$work"/task-*.out 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

if ! munge -n >/dev/null 2>&1; then
  mkdir -p /run/munge
  chown munge:munge /run/munge
  runuser -u munge -- /usr/sbin/munged
  started_munge=1
fi

host=$(hostname -s)
mkdir -p "$work/ctld" "$work/d" "$work/shards"
cat >"$work/slurm.conf" <<EOF
ClusterName=poolsim-smoke
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/ctld
SlurmdSpoolDir=$work/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=smoke Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
slurmctld -c
slurmd
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
  i=$((i + 1))
  if [ "$i" -gt 60 ]; then
    echo "slurm-smoke: the node did not become idle in 60 s"
    exit 1
  fi
  sleep 1
done
echo "slurm-smoke: single-node Slurm up after $(($(date +%s) - start)) s"

# 4 runs: four loads, one repetition each, of the short M/M/1 config.
set -- -c Short --set 'mm1.load=${rho=0.5,0.6,0.8,0.9}' --set repeat=1
"$poolsim" sweep "$scenario" "$@" --plan --shard-dir "$work/shards" >"$work/plan.txt"
n=$(wc -l <"$work/plan.txt")
[ "$n" -eq 4 ]
# The job array: task i runs line i of the plan.
sbatch --wait --quiet --array=1-"$n" --chdir="$work" --output="$work/task-%a.out" \
  --wrap 'eval "$(sed -n "${SLURM_ARRAY_TASK_ID}p" plan.txt)"'
"$poolsim" merge "$work/merged.db" "$work"/shards/*.db
"$poolsim" sweep "$scenario" "$@" -j 2 --db "$work/direct.db" >/dev/null
"$poolsim" report -f csv "$work/merged.db" >"$work/merged.csv"
"$poolsim" report -f csv "$work/direct.db" >"$work/direct.csv"
cmp "$work/merged.csv" "$work/direct.csv"
grep -q '^[^,]*,Short,,,0.9,mm1,mm1.utilization,1,1,' "$work/merged.csv"
echo "slurm-smoke: $n-task job array merged, rows identical to sweep -j 2; $(($(date +%s) - start)) s in all"
