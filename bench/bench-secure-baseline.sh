#!/bin/sh
# bench/bench-secure-baseline.sh POOLSIM SCENARIO-DIR - what TLS costs in wall
# time: the baseline's short sweep (4 runs: LU, LUD, RR, RAND) without TLS
# (config Short), with TLS on the RSerPool channels (Secure) and on the
# application's channel too (SecureEverywhere), one run of each, side by
# side; prints the wall times, their factors against Short, and the TLS
# handshakes and records per wall second of the secure runs. Secure is the
# baseline with security on as RFC 5355 asks for it (TLS on ASAP and ENRP);
# its factor is the one to keep under 3. SecureEverywhere pays one handshake
# per CalcApp job on top (README, "Security: TLS on the channels").
set -eu
poolsim=${1:-./poolsim}
scenario=${2:-scenarios/examples}/baseline.ini
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wall () {
  start=$(date +%s.%N)
  "$poolsim" run "$scenario" -c "$1" --db "$tmp/$1.db" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }' 
}
t0=$(wall Short)
printf '%-18s %8.2f s\n' Short "$t0"
for c in Secure SecureEverywhere; do
  t=$(wall "$c")
  hs=$(sqlite3 "$tmp/$c.db" "SELECT SUM(value) FROM scalar WHERE name LIKE 'secure.handshakes.%.client'")
  rec=$(sqlite3 "$tmp/$c.db" "SELECT SUM(value) FROM scalar WHERE name LIKE 'secure.records_sent.%'")
  printf '%-18s %8.2f s  factor %5.2f  handshakes %6.0f (%6.0f/s wall)  records %8.0f (%8.0f/s wall)\n' \
    "$c" "$t" "$(awk -v a="$t" -v b="$t0" 'BEGIN { print a / b }')" "$hs" \
    "$(awk -v a="$hs" -v b="$t" 'BEGIN { print a / b }')" "$rec" "$(awk -v a="$rec" -v b="$t" 'BEGIN { print a / b }')"
done
