#!/usr/bin/env bash
# bench.sh - `make bench`: fsbridge measured against this machine's own
# ceilings, all in one run (issue 7; README, "Performance").
#
#   tests/bench/bench.sh BIN TOOLDIR [SCALE_TESTS]
#
# BIN is build/fsbridge, TOOLDIR holds `ceilings` (mbedTLS, LMDB and
# Mosquitto on their own) and `benchtool` (load and stopwatches on
# fsbridge's stores). One Mosquitto with the exchange configuration (TLS,
# client certificates, ACL) and two real nodes, longan and cantho, on free
# loopback ports; work files in build/bench/work. SCALE_TESTS, the scale
# suite (built with the 34-province test PKI), gives the rows of 3, 10 and
# 34 provinces on one Mosquitto: its Mosquitto cases are run, and report
# their figures (BENCH_SCALE=0 leaves them out). Prints one table; writes
# tests/bench/results/latest.{json,txt} (and latest.png with gnuplot).
#
# Sizes can be lowered for a quick look (the figures are then not the
# issue's): BENCH_E2E=20000 BENCH_CATCHUP=50000 BENCH_LOG=200000
# BENCH_LATENCY=500 (messages at 50/s), BENCH_FULL=50000 (entries that
# audit verify --full checks: the newest of the log, through --from, so that
# the run stays within 15 minutes; links are checked on the whole log).
set -u
bin=$(realpath "$1")
tools=$(realpath "$2")
scale=${3:+$(realpath "$3")}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/lib/exchange-broker.sh
work=$top/build/bench/work
results=$top/tests/bench/results
E2E=${BENCH_E2E:-20000}
CATCHUP=${BENCH_CATCHUP:-50000}
LOG=${BENCH_LOG:-200000}
LATENCY=${BENCH_LATENCY:-500}
FULL=${BENCH_FULL:-50000}
CASE_BIG=${BENCH_CASE_BIG:-200000}   # entries of the logs the case views read:
CASE_SMALL=${BENCH_CASE_SMALL:-20000} # cases of 10 messages (a recall and
CASE_OPEN=${BENCH_CASE_OPEN:-1000}    # 9 follow-ups), all but CASE_OPEN closed
TRACE_BIG=${BENCH_TRACE_BIG:-200000}     # entries of the logs trace reads: 4 a
TRACE_SMALL=${BENCH_TRACE_SMALL:-20000}  # product (a certificate, two results, a recall)
REPORT=${BENCH_REPORT:-200000} # messages issued over a year, which the report reads
WEB_LIVE=${BENCH_WEB_LIVE:-500}    # browsers with the live feed open at once
WEB_CONNS=8 WEB_SECONDS=3          # the page figures: keep-alive connections, time
CHUNK=500 # messages per `fsbridge submit`, as an agency system would batch them
BYTES=1024

declare -A R # every figure, by name
step() { printf '\033[1m== [%3d s] %s\033[0m\n' "$SECONDS" "$*" >&2; }
fail() { printf 'bench failed: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null; }
rss_kib() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# kv OUTPUT PREFIX: reads "name value" lines into R[PREFIX name].
kv() { while read -r k v; do R[$2$k]=$v; done <<<"$1"; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

rm -rf "$work" && mkdir -p "$work" "$results"
step "PKI, broker, node configurations"
certs/make-demo-pki.sh "$work/pki" >/dev/null || fail "cannot make the PKI"
start_exchange_broker "$top" "$work" "$work/pki" || fail "mosquitto would not start ($work/mosquitto.log)"
pids+=("$mpid")
for o in longan cantho; do
	sed -e "s#ssl://127.0.0.1:8883#ssl://127.0.0.1:$tls#" -e "s#tcp://127.0.0.1:1883#tcp://127.0.0.1:$port#" \
		-e "s#= \.\./var/$o#= $work/$o#" -e "s#= \.\./certs/demo/#= $work/pki/#" "config/$o.conf" >"$work/$o.conf"
	"$bin" check -c "$work/$o.conf" >/dev/null || fail "fsbridge check $o"
done

declare -A node_pid
start_node() {
	"$bin" run -c "$work/$1.conf" 2>>"$work/$1.log" &
	node_pid[$1]=$!
	pids+=("$!")
	for _ in $(seq 200); do
		[ "$(grep -c "connected to the exchange" "$work/$1.log")" -gt "${2:-0}" ] && return 0
		sleep 0.05
	done
	fail "$1 did not connect ($work/$1.log)"
}
stop_node() {
	kill "${node_pid[$1]}" && wait "${node_pid[$1]}" 2>/dev/null
}
connections() { grep -c "connected to the exchange" "$work/$1.log"; }
# submit N TAG: N recalls from longan, CHUNK per `fsbridge submit`; the
# CPU seconds the submit processes used go to $work/submit-TAG.cpu.
submit() {
	"$tools/benchtool" jsonl "$1" $BYTES "$2" | split -l $CHUNK - "$work/chunk-$2-" || return 1
	for f in "$work/chunk-$2-"*; do
		"$bin" submit -c "$work/longan.conf" --jsonl "$f" >/dev/null || return 1
	done
	rm -f "$work/chunk-$2-"*
	# `times` (not in a pipe, which would be a new shell): the children's
	# user and system time on its second line, as XmY.YYYs
	times >"$work/submit-$2.times"
	awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/);
		printf "%.2f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/submit-$2.times" >"$work/submit-$2.cpu"
}
# sample_rss PID NAME: peak RssAnon every 100 ms into $work/NAME.rss until killed.
sample_rss() {
	local peak=0 r
	while r=$(rss_kib "$1") && [ -n "$r" ]; do
		[ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$work/$2.rss"
		sleep 0.1
	done
}

# The crypto ceilings are measured right before each figure that is given
# as a ratio to them (this machine's speed drifts by tens of percent over
# minutes): R[TAG_sign_per_s], R[TAG_verify_per_s], R[TAG_sha256_mb_per_s].
crypto_tags=()
crypto_ceiling() {
	step "Ceilings: mbedTLS ECDSA P-256 sign and verify, SHA-256, one core [$1]"
	out=$("$tools/ceilings" crypto 2) || fail "ceilings crypto"
	kv "$out" "$1_"
	crypto_tags+=("$1")
}
# span NAME: "min-max" of R[TAG_NAME] over the measurements.
span() {
	for t in "${crypto_tags[@]}"; do echo "${R[${t}_$1]}"; done |
		sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'
}

step "End to end: $E2E recalls of $BYTES bytes, longan -> cantho, until cantho's checkpoint is back"
start_node longan
start_node cantho
crypto_ceiling e2e
t0=$(now)
submit "$E2E" E2E &
spid=$!
R[e2e_s]=$("$tools/benchtool" drain "$work/longan" "$E2E" 600) || fail "end to end"
wait "$spid" || fail "submission failed"
R[e2e_submit_s]=$(secs "$t0" "$(now)")
R[e2e_per_s]=$(calc "$E2E / ${R[e2e_s]}")
R[envelope_bytes]=$("$tools/benchtool" envsize "$work/longan")
R[e2e_cpu_longan_s]=$(cpu_s "${node_pid[longan]}")
R[e2e_cpu_cantho_s]=$(cpu_s "${node_pid[cantho]}")
R[e2e_cpu_broker_s]=$(cpu_s "$mpid")
R[e2e_cpu_submit_s]=$(cat "$work/submit-E2E.cpu")
R[rss_cantho_kib_e2e]=$(rss_kib "${node_pid[cantho]}")
R[rss_longan_kib_e2e]=$(rss_kib "${node_pid[longan]}")

step "Latency: $LATENCY recalls at 50/s, from longan's commit to cantho's"
out=$("$tools/benchtool" latency "$work/longan.conf" "$work/cantho" 50 "$LATENCY") || fail "latency"
kv "$out" latency_

step "Catch-up: cantho offline while longan takes $CATCHUP recalls, then started"
stop_node cantho
crypto_ceiling catchup
t0=$(now)
submit "$CATCHUP" CU || fail "submission failed"
R[submit_per_s]=$(calc "$CATCHUP / $(secs "$t0" "$(now)")")
sent=$((E2E + LATENCY + CATCHUP))
c=$(connections cantho)
b0=$(cpu_s "$mpid")
l0=$(cpu_s "${node_pid[longan]}")
t0=$(now)
start_node cantho "$c"
sample_rss "${node_pid[cantho]}" catchup &
rpid=$!
"$tools/benchtool" head "$work/cantho" longan "$sent" 600 >/dev/null || fail "catch-up"
R[catchup_s]=$(secs "$t0" "$(now)")
R[catchup_cpu_cantho_s]=$(cpu_s "${node_pid[cantho]}")
R[catchup_cpu_broker_s]=$(calc "$(cpu_s "$mpid") - $b0" 2)
R[catchup_cpu_longan_s]=$(calc "$(cpu_s "${node_pid[longan]}") - $l0" 2)
kill "$rpid" 2>/dev/null
R[catchup_per_s]=$(calc "$CATCHUP / ${R[catchup_s]}")
R[rss_cantho_kib_catchup_peak]=$(cat "$work/catchup.rss")
"$tools/benchtool" drain "$work/longan" "$sent" 600 >/dev/null || fail "checkpoint after catch-up"
R[rss_cantho_kib_catchup_end]=$(rss_kib "${node_pid[cantho]}")

rest=$((LOG - sent))
[ "$rest" -gt 0 ] || fail "BENCH_LOG must exceed BENCH_E2E + BENCH_LATENCY + BENCH_CATCHUP"
crypto_ceiling fill
step "Filling the log to $LOG entries ($rest more, both nodes running)"
c0=$(cpu_s "${node_pid[cantho]}")
b0=$(cpu_s "$mpid")
l0=$(cpu_s "${node_pid[longan]}")
t0=$(now)
submit "$rest" FILL &
spid=$!
"$tools/benchtool" drain "$work/longan" "$LOG" 1800 >/dev/null || fail "fill"
wait "$spid" || fail "submission failed"
R[fill_s]=$(secs "$t0" "$(now)")
R[fill_per_s]=$(calc "$rest / ${R[fill_s]}")
R[fill_cpu_submit_s]=$(cat "$work/submit-FILL.cpu")
R[fill_cpu_cantho_s]=$(calc "$(cpu_s "${node_pid[cantho]}") - $c0" 2)
R[fill_cpu_broker_s]=$(calc "$(cpu_s "$mpid") - $b0" 2)
R[fill_cpu_longan_s]=$(calc "$(cpu_s "${node_pid[longan]}") - $l0" 2)
R[rss_cantho_kib_log]=$(rss_kib "${node_pid[cantho]}")
R[rss_longan_kib_log]=$(rss_kib "${node_pid[longan]}")

step "Start-up of fsbridge run on cantho's $LOG-entry log (median of 3)"
stop_node cantho
for i in 1 2 3; do
	"$tools/benchtool" startup "$bin" "$work/cantho.conf" >>"$work/startup.txt" || fail "start-up"
done
R[startup_running_ms]=$(awk '$1 == "running_ms" { print $2 }' "$work/startup.txt" | sort -n | sed -n 2p)
R[startup_connected_ms]=$(awk '$1 == "connected_ms" { print $2 }' "$work/startup.txt" | sort -n | sed -n 2p)
stop_node longan
crypto_ceiling links

step "audit verify on cantho's log: links on all of it, then --full on the newest $FULL entries"
t0=$(now)
"$bin" audit verify -c "$work/cantho.conf" >"$work/audit-links.txt" || fail "audit verify"
R[audit_links_s]=$(secs "$t0" "$(now)")
[ "$FULL" -le "$LOG" ] || FULL=$LOG
crypto_ceiling full
t0=$(now)
"$bin" audit verify -c "$work/cantho.conf" --full --from $((LOG - FULL + 1)) >"$work/audit-full.txt" ||
	fail "audit verify --full"
R[audit_full_s]=$(secs "$t0" "$(now)")
# What both cores verify at once, right after: how far threads can go here.
"$tools/ceilings" verify 2 >"$work/verify2-a.txt" &
"$tools/ceilings" verify 2 >"$work/verify2-b.txt" || fail "ceilings verify"
wait $! || fail "ceilings verify"
R[full_verify_2cores_per_s]=$(awk '{ s += $2 } END { printf "%.1f", s }' "$work"/verify2-?.txt)
crypto_ceiling after
# The audit figures are compared with the mean of the ceilings measured
# just before and just after them.
R[links_sha256_mean]=$(calc "(${R[links_sha256_mb_per_s]} + ${R[full_sha256_mb_per_s]}) / 2")
R[full_verify_mean]=$(calc "(${R[full_verify_per_s]} + ${R[after_verify_per_s]}) / 2")
R[log_entries]=$(awk '$1 == "entries" { print $2 }' "$work/audit-links.txt")
R[log_mb]=$(awk '$1 == "entries" { sub(/\(/, "", $3); print $3 }' "$work/audit-links.txt")
R[audit_links_mb_per_s]=$(calc "${R[log_mb]} / ${R[audit_links_s]}")
R[audit_full_per_s]=$(calc "$FULL / ${R[audit_full_s]}")

# median_ms CMD...: the median of 5 runs of CMD, whole processes, in ms.
median_ms() {
	for _ in 1 2 3 4 5; do
		t0=$(now)
		"$@" >/dev/null 2>&1 || return 1
		echo "$(secs "$t0" "$(now)")"
	done | sort -n | sed -n 3p | awk '{ printf "%.1f", $1 * 1000 }'
}
step "Case views: a $CASE_BIG-entry log of $((CASE_BIG / 10)) cases and a $CASE_SMALL-entry log of $((CASE_SMALL / 10)), $CASE_OPEN open in each"
for size in small big; do
	entries=$CASE_SMALL
	[ $size = big ] && entries=$CASE_BIG
	sed -e "s#= \.\./var/longan#= $work/case-$size#" -e "s#= \.\./certs/demo/#= $work/pki/#" \
		config/longan.conf >"$work/case-$size.conf"
	id=$("$tools/benchtool" caselog "$work/case-$size.conf" "$entries" $((entries / 10)) "$CASE_OPEN") ||
		fail "caselog $size"
	R[case_${size}_ms]=$(median_ms "$bin" case -c "$work/case-$size.conf" "$id") || fail "case $size"
	R[cases_open_${size}_ms]=$(median_ms "$bin" cases -c "$work/case-$size.conf" --open) || fail "cases $size"
	R[case_floor_${size}_ms]=$(median_ms "$bin" replay -c "$work/case-$size.conf" --id "$id") || fail "replay $size"
	[ "$("$bin" cases -c "$work/case-$size.conf" --open --json | grep -c '"id"')" = "$CASE_OPEN" ] ||
		fail "cases --open at $size does not list $CASE_OPEN cases"
done

step "Trace: a $TRACE_BIG-entry log of $((TRACE_BIG / 4)) products and a $TRACE_SMALL-entry log of $((TRACE_SMALL / 4))"
for size in small big; do
	entries=$TRACE_SMALL
	[ $size = big ] && entries=$TRACE_BIG
	sed -e "s#= \.\./var/longan#= $work/trace-$size#" -e "s#= \.\./certs/demo/#= $work/pki/#" \
		config/longan.conf >"$work/trace-$size.conf"
	link=$("$tools/benchtool" tracelog "$work/trace-$size.conf" "$entries" $((entries / 4))) ||
		fail "tracelog $size"
	echo "$link" >"$work/trace-$size.link"
	R[trace_${size}_ms]=$(median_ms "$bin" trace -c "$work/trace-$size.conf" "$link") ||
		fail "trace $size"
	# the same answer on both logs: the product's 4 messages, its chain of 10
	"$bin" trace -c "$work/trace-$size.conf" "$link" --json |
		grep -q '"certsInForce":1,"nonCompliant":1,"recalled":true' ||
		fail "trace at $size does not find the product's certificate, result and recall"
done

# serve_start CONF NAME: fsbridge serve of CONF on a free loopback port,
# logging to $work/NAME.log; sets wport and wpid.
serve_start() {
	for wport in $(shuf -i 20000-60000 -n 20); do
		(exec 3<>"/dev/tcp/127.0.0.1/$wport") 2>/dev/null && continue
		"$bin" serve -c "$1" --listen "127.0.0.1:$wport" 2>"$work/$2.log" &
		wpid=$!
		pids+=("$wpid")
		for _ in $(seq 100); do
			grep -q "read-only, on http" "$work/$2.log" && return 0
			kill -0 "$wpid" 2>/dev/null || break
			sleep 0.05
		done
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
	done
	return 1
}
# httpd_ceiling BYTES TAG: libmicrohttpd serving a fixed page of BYTES,
# measured by the same client: R[web_fixed_TAG_per_s].
httpd_ceiling() {
	local p cpid out
	for p in $(shuf -i 20000-60000 -n 20); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		"$tools/ceilings" httpd "$p" "$1" >"$work/httpd.out" 2>&1 &
		cpid=$!
		for _ in $(seq 100); do
			grep -q listening "$work/httpd.out" && break
			sleep 0.02
		done
		if grep -q listening "$work/httpd.out"; then
			out=$("$tools/httpload" get "127.0.0.1:$p" / $WEB_CONNS $WEB_SECONDS)
			local rc=$?
			kill "$cpid"
			wait "$cpid" 2>/dev/null
			[ $rc = 0 ] || return 1
			kv "$out" "web_fixed_$2_"
			return 0
		fi
		kill "$cpid" 2>/dev/null
		wait "$cpid" 2>/dev/null
	done
	return 1
}
step "Web view: a message page and a trace on the $TRACE_SMALL- and $TRACE_BIG-entry logs, $WEB_LIVE live feeds, against libmicrohttpd serving a fixed page"
declare -A wport_of wpid_of
for size in small big; do
	entries=$TRACE_SMALL
	[ $size = big ] && entries=$TRACE_BIG
	sed -e "s/^max_connections = .*/max_connections = $((WEB_LIVE + 100))/" \
		-e "s/^max_live_feeds = .*/max_live_feeds = $WEB_LIVE/" "$work/trace-$size.conf" >"$work/web-$size.conf"
	serve_start "$work/web-$size.conf" "serve-$size" || fail "fsbridge serve would not start on the $size log"
	wport_of[$size]=$wport
	wpid_of[$size]=$wpid
	sample_rss "$wpid" "serve-$size" &
	pids+=("$!")
	# the message in the middle of the log, its signature checked again on
	# every view; the trace of the Digital Link the trace rows use
	curl -sf "http://127.0.0.1:$wport/message/longan:$((entries / 2))" | grep -q "Chữ ký số hợp lệ" ||
		fail "the message page at $size does not show its signature checked"
	q=$(sed -e 's/%/%25/g' -e 's#/#%2F#g' -e 's/:/%3A/g' "$work/trace-$size.link")
	echo "$q" >"$work/web-$size.q"
	curl -sf "http://127.0.0.1:$wport/api/trace?q=$q" | grep -q '"certsInForce":1,"nonCompliant":1,"recalled":true' ||
		fail "the web trace at $size does not find the product's certificate, result and recall"
done
# page NAME SIZE PATH: requests/s of PATH on the SIZE log, the best of the
# rounds into R[web_NAME_SIZE_per_s] (the two logs alternate, so that the
# machine's drift falls on both alike)
page() {
	local out per
	out=$("$tools/httpload" get "127.0.0.1:${wport_of[$2]}" "$3" $WEB_CONNS $WEB_SECONDS) ||
		fail "$1 page on the $2 log"
	per=$(awk '$1 == "per_s" { print $2 }' <<<"$out")
	R[web_$1_$2_bytes]=$(awk '$1 == "bytes" { print $2 }' <<<"$out")
	if [ -z "${R[web_$1_$2_per_s]:-}" ] || awk "BEGIN { exit !($per > ${R[web_$1_$2_per_s]}) }"; then
		R[web_$1_$2_per_s]=$per
	fi
}
crypto_ceiling web
for round in 1 2; do
	for size in small big; do
		entries=$TRACE_SMALL
		[ $size = big ] && entries=$TRACE_BIG
		page message $size "/message/longan:$((entries / 2))"
		page trace $size "/trace?q=$(cat "$work/web-$size.q")"
	done
done
R[rss_serve_kib_pages_small]=$(cat "$work/serve-small.rss")
R[rss_serve_kib_pages_big]=$(cat "$work/serve-big.rss")
# the live feed open in WEB_LIVE browsers; 20 recalls committed at once
"$tools/benchtool" jsonl 20 $BYTES SSE >"$work/sse.jsonl" || fail "jsonl"
out=$("$tools/httpload" sse "127.0.0.1:${wport_of[big]}" /events "$WEB_LIVE" 20 120 \
	"$bin" submit -c "$work/web-big.conf" --jsonl "$work/sse.jsonl") ||
	fail "the live feed to $WEB_LIVE clients"
kv "$out" "web_sse_"
R[rss_serve_kib_live_peak]=$(cat "$work/serve-big.rss")
for size in small big; do
	kill "${wpid_of[$size]}" 2>/dev/null
	wait "${wpid_of[$size]}" 2>/dev/null
done
httpd_ceiling "${R[web_message_big_bytes]}" message || fail "ceilings httpd"

step "Report: a year of $REPORT messages, against a walk that only decodes them"
sed -e "s#= \.\./var/longan#= $work/report#" -e "s#= \.\./certs/demo/#= $work/pki/#" \
	config/longan.conf >"$work/report.conf"
"$tools/benchtool" reportlog "$work/report.conf" "$REPORT" || fail "reportlog"
[ "$("$tools/benchtool" decodewalk "$work/report.conf" 2025-01-01 2025-12-31)" = "$REPORT" ] ||
	fail "the year does not hold $REPORT messages"
R[report_walk_ms]=$(median_ms "$tools/benchtool" decodewalk "$work/report.conf" 2025-01-01 2025-12-31) ||
	fail "decodewalk"
R[report_year_ms]=$(median_ms "$bin" report -c "$work/report.conf" --from 2025-01-01 --to 2025-12-31 \
	--format html -o "$work/report.html") || fail "report of the year"
R[report_month_ms]=$(median_ms "$bin" report -c "$work/report.conf" --from 2025-06-01 --to 2025-06-30 \
	--format html -o "$work/report-june.html") || fail "report of June"
"$bin" report -c "$work/report.conf" --from 2025-01-01 --to 2025-12-31 --format csv --lang en |
	grep -q "^Messages in the period,$REPORT" || fail "the report of the year does not count $REPORT messages"

step "Ceilings: LMDB batched appends and Mosquitto QoS 1, ${R[envelope_bytes]}-byte messages"
out=$("$tools/ceilings" lmdb "$work/lmdb" "${R[envelope_bytes]}" 50000 100) || fail "ceilings lmdb"
kv "$out" ""
out=$("$tools/ceilings" mqtt "ssl://127.0.0.1:$tls" "$work/pki/ca.crt" \
	"$work/pki/longan-client.crt" "$work/pki/longan-client.key" \
	"$work/pki/cantho-client.crt" "$work/pki/cantho-client.key" \
	foodsafety/v1/longan/bench "${R[envelope_bytes]}" 50000) || fail "ceilings mqtt"
kv "$out" ""

if [ -n "$scale" ] && [ "${BENCH_SCALE:-1}" != 0 ]; then
	step "Many provinces: a burst of 50 from each of 3, 10 and 34 nodes on one Mosquitto, then 3 of 34 cut off for 30 s"
	rm -f "$work/scale.txt"
	FSB_SCALE_FIGURES=$work/scale.txt "$scale" --jobs=1 --filter 'scale/mosquitto_[0-9]*' \
		>"$work/scale.log" 2>&1 || fail "the scale cases failed ($work/scale.log)"
	# "burst N converge_s S deliveries D minimum M ratio R control C per_data P ..."
	while read -r what n pairs; do
		case $what in
		burst) kv "$(echo "$pairs" | xargs -n2)" "scale${n}_" ;;
		partition) kv "$(echo "$pairs" | xargs -n2)" "partition${n}_" ;;
		esac
	done <"$work/scale.txt"
	scale_ns=$(awk '$1 == "burst" { print $2 }' "$work/scale.txt" | sort -n | xargs)
fi

# ---- the table -------------------------------------------------------------
ratio() { calc "$1 / $2" 2; }
row() { printf '%-44s %12s %-8s %-34s %s\n' "$@"; }
mib() { calc "$1 / 1024" 1; }
verdict() { awk "BEGIN { print ($1) ? \"met\" : \"MISSED\" }"; }
{
	echo "fsbridge $("$bin" --version | awk '{ print $NF }') - make bench, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(uname -m)"
	row "figure" "value" "unit" "ratio" "target"
	row "ceiling: ECDSA P-256 sign, one core" "${R[e2e_sign_per_s]}" "/s" "$(span sign_per_s) over the run" ""
	row "ceiling: ECDSA P-256 verify, one core" "${R[catchup_verify_per_s]}" "/s" "$(span verify_per_s) over the run" ""
	row "ceiling: ECDSA P-256 verify, both cores" "${R[full_verify_2cores_per_s]}" "/s" "two processes at once" ""
	row "ceiling: SHA-256, one core" "${R[links_sha256_mb_per_s]}" "MB/s" "$(span sha256_mb_per_s) over the run" ""
	row "ceiling: Mosquitto QoS 1 (TLS, 1 pub/1 sub)" "${R[mqtt_qos1_per_s]}" "msg/s" "${R[envelope_bytes]} B, window ${R[mqtt_receive_max]}" ""
	row "ceiling: LMDB appends, commits of 100" "${R[lmdb_appends_per_s]}" "/s" "${R[envelope_bytes]} B values" ""
	row "submit (fsbridge submit, $CHUNK per call)" "${R[submit_per_s]}" "msg/s" "$(ratio "${R[submit_per_s]}" "${R[catchup_sign_per_s]}") x sign" ""
	row "end to end, $E2E x $BYTES B" "${R[e2e_per_s]}" "msg/s" "$(ratio "${R[e2e_per_s]}" "${R[e2e_sign_per_s]}") x sign" ">= 0.8 x sign: $(verdict "${R[e2e_per_s]} >= 0.8 * ${R[e2e_sign_per_s]}")"
	row "  CPU: submit, longan, cantho" "${R[e2e_cpu_submit_s]}" "s" "${R[e2e_cpu_longan_s]} s, ${R[e2e_cpu_cantho_s]} s, broker ${R[e2e_cpu_broker_s]} s in ${R[e2e_s]} s" ""
	row "end to end, sustained over $rest more" "${R[fill_per_s]}" "msg/s" "$(ratio "${R[fill_per_s]}" "${R[fill_sign_per_s]}") x sign" ""
	row "  CPU: submit, longan, cantho" "${R[fill_cpu_submit_s]}" "s" "${R[fill_cpu_longan_s]} s, ${R[fill_cpu_cantho_s]} s, broker ${R[fill_cpu_broker_s]} s in ${R[fill_s]} s" ""
	row "catch-up, $CATCHUP backlog" "${R[catchup_per_s]}" "msg/s" "$(ratio "${R[catchup_per_s]}" "${R[catchup_verify_per_s]}") x verify, $(ratio "${R[catchup_per_s]}" "${R[mqtt_qos1_per_s]}") x QoS 1" ">= 0.5 x QoS 1: $(verdict "${R[catchup_per_s]} >= 0.5 * ${R[mqtt_qos1_per_s]}"), >= 3 x verify: $(verdict "${R[catchup_per_s]} >= 3 * ${R[catchup_verify_per_s]}")"
	row "  CPU: cantho, broker, longan" "${R[catchup_cpu_cantho_s]}" "s" "${R[catchup_cpu_broker_s]} s, ${R[catchup_cpu_longan_s]} s in ${R[catchup_s]} s" ""
	row "latency p50 at 50 msg/s" "${R[latency_p50_ms]}" "ms" "" "< 10 ms: $(verdict "${R[latency_p50_ms]} < 10")"
	row "latency p99 at 50 msg/s" "${R[latency_p99_ms]}" "ms" "max ${R[latency_max_ms]} ms" "< 50 ms: $(verdict "${R[latency_p99_ms]} < 50")"
	row "audit verify, links, $LOG entries" "${R[audit_links_mb_per_s]}" "MB/s" "$(ratio "${R[audit_links_mb_per_s]}" "${R[links_sha256_mean]}") x SHA-256" ">= 0.5: $(verdict "${R[audit_links_mb_per_s]} >= 0.5 * ${R[links_sha256_mean]}")"
	row "audit verify --full, newest $FULL of $LOG" "${R[audit_full_per_s]}" "msg/s" "$(ratio "${R[audit_full_per_s]}" "${R[full_verify_mean]}") x verify, $(ratio "${R[audit_full_per_s]}" "${R[full_verify_2cores_per_s]}") x 2 cores" ">= 1.6: $(verdict "${R[audit_full_per_s]} >= 1.6 * ${R[full_verify_mean]}")"
	row "RssAnon, cantho after $E2E" "$(mib "${R[rss_cantho_kib_e2e]}")" "MiB" "longan $(mib "${R[rss_longan_kib_e2e]}") MiB" "<= 16 MiB: $(verdict "${R[rss_cantho_kib_e2e]} <= 16384")"
	row "RssAnon, cantho peak in $CATCHUP catch-up" "$(mib "${R[rss_cantho_kib_catchup_peak]}")" "MiB" "after: $(mib "${R[rss_cantho_kib_catchup_end]}") MiB" "<= 16 MiB: $(verdict "${R[rss_cantho_kib_catchup_peak]} <= 16384")"
	row "RssAnon, cantho after $LOG" "$(mib "${R[rss_cantho_kib_log]}")" "MiB" "longan $(mib "${R[rss_longan_kib_log]}") MiB" "<= 16 MiB: $(verdict "${R[rss_cantho_kib_log]} <= 16384")"
	for n in ${scale_ns:-}; do
		p=scale${n}_
		row "$n provinces, burst of 50 each: converged" "${R[${p}converge_s]}" "s" "$(calc "${R[${p}minimum]} / ${R[${p}converge_s]}" 0) deliveries/s, $(ratio "$(calc "${R[${p}minimum]} / ${R[${p}converge_s]}")" "${R[mqtt_qos1_per_s]}") x QoS 1" "< 30 s: $(verdict "${R[${p}converge_s]} < 30")"
		row "  broker deliveries" "${R[${p}deliveries]}" "msg" "${R[${p}ratio]} x the minimum ${R[${p}minimum]}" "<= 1.5 x: $(verdict "${R[${p}ratio]} <= 1.5")"
		row "  control messages per data message" "${R[${p}per_data]}" "" "${R[${p}checkpoints]} checkpoints, ${R[${p}sync]} sync, ${R[${p}resends]} re-sends" "< 0.5: $(verdict "${R[${p}per_data]} < 0.5")"
	done
	if [ -n "${R[partition34_heal_s]:-}" ]; then
		row "34 provinces, 3 cut off 30 s: healed" "${R[partition34_heal_s]}" "s" "${R[partition34_sync]} sync, ${R[partition34_resends]} re-sends" "< 30 s: $(verdict "${R[partition34_heal_s]} < 30")"
	fi
	row "start-up of run, $LOG-entry log" "${R[startup_connected_ms]}" "ms" "store ready ${R[startup_running_ms]} ms" "< 300 ms: $(verdict "${R[startup_connected_ms]} < 300")"
	row "floor: a process reading one entry" "${R[case_floor_big_ms]}" "ms" "$CASE_BIG entries; ${R[case_floor_small_ms]} ms on $CASE_SMALL" ""
	row "case ID (10 messages), $CASE_BIG entries" "${R[case_big_ms]}" "ms" "$(ratio "${R[case_big_ms]}" "${R[case_small_ms]}") x ${R[case_small_ms]} ms on $CASE_SMALL" "<= 1.5 x: $(verdict "${R[case_big_ms]} <= 1.5 * ${R[case_small_ms]}")"
	row "cases --open ($CASE_OPEN), $CASE_BIG entries" "${R[cases_open_big_ms]}" "ms" "$(ratio "${R[cases_open_big_ms]}" "${R[cases_open_small_ms]}") x ${R[cases_open_small_ms]} ms on $CASE_SMALL" "<= 1.5 x: $(verdict "${R[cases_open_big_ms]} <= 1.5 * ${R[cases_open_small_ms]}")"
	row "trace (a Digital Link), $TRACE_BIG entries" "${R[trace_big_ms]}" "ms" "$(ratio "${R[trace_big_ms]}" "${R[trace_small_ms]}") x ${R[trace_small_ms]} ms on $TRACE_SMALL" "<= 1.5 x: $(verdict "${R[trace_big_ms]} <= 1.5 * ${R[trace_small_ms]}")"
	row "ceiling: libmicrohttpd, a fixed page" "${R[web_fixed_message_per_s]}" "req/s" "${R[web_message_big_bytes]} B, $WEB_CONNS keep-alive connections" ""
	row "web: message page, $TRACE_BIG entries" "${R[web_message_big_per_s]}" "req/s" "$(ratio "${R[web_message_big_per_s]}" "${R[web_verify_per_s]}") x verify (checked per view), $(calc "${R[web_message_big_per_s]} / ${R[web_fixed_message_per_s]}" 3) x fixed page; ${R[web_message_small_per_s]} on $TRACE_SMALL" ">= 0.67 x on $TRACE_SMALL: $(verdict "${R[web_message_big_per_s]} >= 0.67 * ${R[web_message_small_per_s]}")"
	row "web: trace page, $TRACE_BIG entries" "${R[web_trace_big_per_s]}" "req/s" "$(ratio "${R[web_trace_big_per_s]}" "${R[web_fixed_message_per_s]}") x fixed page; ${R[web_trace_small_per_s]} on $TRACE_SMALL" ">= 0.67 x on $TRACE_SMALL: $(verdict "${R[web_trace_big_per_s]} >= 0.67 * ${R[web_trace_small_per_s]}")"
	row "web: live feed, 20 messages to $WEB_LIVE clients" "${R[web_sse_all_s]}" "s" "p50 ${R[web_sse_p50_s]} s, ${R[web_sse_deliveries_per_s]} events/s, $(ratio "${R[web_sse_deliveries_per_s]}" "${R[web_fixed_message_per_s]}") x fixed page" "< 2 s (1 s tick): $(verdict "${R[web_sse_all_s]} < 2")"
	row "RssAnon, serve with $WEB_LIVE live feeds" "$(mib "${R[rss_serve_kib_live_peak]}")" "MiB" "pages alone: $(mib "${R[rss_serve_kib_pages_big]}") MiB, $(mib "${R[rss_serve_kib_pages_small]}") on $TRACE_SMALL" "<= 32 MiB: $(verdict "${R[rss_serve_kib_live_peak]} <= 32768")"
	row "report, a year of $REPORT messages" "${R[report_year_ms]}" "ms" "$(ratio "${R[report_year_ms]}" "${R[report_walk_ms]}") x decoding them (${R[report_walk_ms]} ms)" "<= 2 x: $(verdict "${R[report_year_ms]} <= 2 * ${R[report_walk_ms]}")"
	row "report, one month (June) of that year" "${R[report_month_ms]}" "ms" "$(ratio "${R[report_month_ms]}" "${R[report_year_ms]}") x the year's" "<= 0.25 x: $(verdict "${R[report_month_ms]} <= 0.25 * ${R[report_year_ms]}")"
} | tee "$results/latest.txt"

{
	printf '{\n  "version": "%s",\n  "date": "%s",\n  "cores": %s,\n' \
		"$("$bin" --version | awk '{ print $NF }')" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)"
	printf '  "sizes": {"e2e": %s, "catchup": %s, "log": %s, "latency": %s, "full": %s, "payload_bytes": %s, "case_big": %s, "case_small": %s, "case_open": %s, "trace_big": %s, "trace_small": %s, "report": %s, "web_live": %s},\n' \
		"$E2E" "$CATCHUP" "$LOG" "$LATENCY" "$FULL" "$BYTES" "$CASE_BIG" "$CASE_SMALL" "$CASE_OPEN" "$TRACE_BIG" "$TRACE_SMALL" "$REPORT" "$WEB_LIVE"
	printf '  "figures": {\n'
	first=1
	for k in $(printf '%s\n' "${!R[@]}" | sort); do
		[ $first = 1 ] || printf ',\n'
		first=0
		printf '    "%s": %s' "$k" "${R[$k]}"
	done
	printf '\n  }\n}\n'
} >"$results/latest.json"

if command -v gnuplot >/dev/null; then
	{
		echo "sign ${R[e2e_sign_per_s]} ${R[e2e_per_s]}"
		echo "verify ${R[catchup_verify_per_s]} ${R[catchup_per_s]}"
		echo "verify ${R[full_verify_mean]} ${R[audit_full_per_s]}"
	} >"$work/plot.dat"
	gnuplot -e "set terminal png size 900,500; set output '$results/latest.png';
		set style data histograms; set style fill solid; set ylabel 'messages/s';
		set title 'fsbridge against one-core ceilings'; set yrange [0:*];
		set xtics ('end to end vs sign' 0, 'catch-up vs verify' 1, 'audit --full vs verify' 2);
		plot '$work/plot.dat' using 2 title 'ceiling', '' using 3 title 'fsbridge'" ||
		echo "gnuplot failed; no PNG" >&2
fi
echo "results: tests/bench/results/latest.json ($SECONDS s in all)"
