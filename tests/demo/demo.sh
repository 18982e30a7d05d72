#!/usr/bin/env bash
# demo.sh - `make demo`: Long An and Cần Thơ exchanging real alerts.
#
# Makes the demo PKI, starts Mosquitto on a free loopback port and the two
# nodes, submits from Long An a surveillance result, a quarantine notice, a
# recall and a follow-up, and from Cần Thơ a recall; shows what staff on
# each side see; Cần Thơ acknowledges Long An's recall and asks about it,
# Long An answers, and both print the case; both checkpoints in sync and
# audit verify passing; certificates, chains and a trace. Then a summer
# season of both provinces (tests/season) and the programme report Long An
# sends the People's Committee, written as HTML and CSV, and the web view
# serving Long An's log. Everything lives under var/demo (git-ignored), or
# $FSB_DEMO_DIR.
set -u
bin=$(realpath "${1:-build/fsbridge}")
season=$(realpath "${2:-build/season}")
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/lib/exchange-broker.sh
work=${FSB_DEMO_DIR:-$top/var/demo} # the tests run it elsewhere
rel=${work#"$top"/}                  # as the messages show it
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
fail() { printf '\n\033[1;31mdemo failed: %s\033[0m\n' "$*"; exit 1; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

rm -rf "$work" && mkdir -p "$work"
say "A demo PKI: exchange CA and CRL, certificates for longan, cantho, angiang"
certs/make-demo-pki.sh >/dev/null || fail "cannot make the PKI"
ls certs/demo/*.crt | xargs -n1 basename | tr '\n' ' '; echo

say "Mosquitto (config/mosquitto/exchange.conf) on free loopback ports"
echo "the exchange on TLS with client certificates and an ACL: each node writes only under its own origin"
start_exchange_broker "$top" "$work" "$top/certs/demo" ||
	fail "mosquitto would not start (see $rel/mosquitto.log)"
pids+=("$mpid")
echo "exchange: ssl://127.0.0.1:$tls   local (agency) side: tcp://127.0.0.1:$port"

for o in longan cantho; do
	sed -e "s#ssl://127.0.0.1:8883#ssl://127.0.0.1:$tls#" -e "s#tcp://127.0.0.1:1883#tcp://127.0.0.1:$port#" \
		-e "s#= \.\./var/$o#= $work/$o#" -e "s#= \.\./#= $top/#" "config/$o.conf" >"$work/$o.conf"
done

say "fsbridge check: each node's configuration, key and certificates"
for o in longan cantho; do
	"$bin" check -c "$work/$o.conf" >/dev/null || { "$bin" check -c "$work/$o.conf"; fail "check $o"; }
	echo "config/$o.conf: OK"
done

say "Starting the nodes (logs in $rel/*.log)"
for o in longan cantho; do
	"$bin" run -c "$work/$o.conf" 2>"$work/$o.log" &
	pids+=("$!")
done
for o in longan cantho; do
	for _ in $(seq 100); do grep -q "connected to the exchange" "$work/$o.log" && break; sleep 0.05; done
	grep -q "connected to the exchange" "$work/$o.log" || fail "$o did not connect"
	grep "running on" "$work/$o.log" | sed 's/^/  /'
done
for o in longan cantho; do
	"$bin" watch -c "$work/$o.conf" >"$work/$o.watch" &
	pids+=("$!")
done
sleep 0.3

E=schemas/examples
say "Long An submits a surveillance result, a quarantine notice, a recall and a follow-up"
"$bin" submit -c "$work/longan.conf" $E/surveillance-vietgap-dragonfruit-longan.json \
	$E/quarantine-pig-certificate-issued-longan.json $E/recall-ocop-sausage-class1-longan.json \
	$E/followup-distribution-update-longan.json || fail "submit at longan"
say "Cần Thơ submits a recall"
"$bin" submit -c "$work/cantho.conf" $E/recall-pangasius-class2-cantho.json || fail "submit at cantho"

converged() {
	"$bin" replay -c "$work/cantho.conf" --csv --origin longan 2>/dev/null | grep -q ',longan:4,' &&
		"$bin" replay -c "$work/longan.conf" --csv --origin cantho 2>/dev/null | grep -q ',cantho:1,'
}
for _ in $(seq 100); do converged && break; sleep 0.1; done
converged || fail "the nodes did not converge"
sleep 0.5

say "What Cần Thơ's staff see: fsbridge watch -c cantho.conf"
cat "$work/cantho.watch"
say "What Long An's staff see: fsbridge watch -c longan.conf"
cat "$work/longan.watch"

# Waits until node $1 holds message $2 (origin:seq).
holds() {
	for _ in $(seq 100); do
		"$bin" replay -c "$work/$1.conf" --csv --id "$2" 2>/dev/null | grep -q ",$2," && return 0
		sleep 0.1
	done
	fail "$1 did not receive $2"
}

say "Cần Thơ acknowledges Long An's class I recall: fsbridge ack -c cantho.conf longan:3"
"$bin" ack -c "$work/cantho.conf" longan:3 --officer "Trần Minh Khoa" \
	--text "Đã nhận; Phòng Thanh tra kiểm tra các điểm bán lạp xưởng tại Cần Thơ." || fail "ack at cantho"
due=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
say "Cần Thơ asks Long An where the lots went (answer due $due)"
sed -e "s/\"respondBy\": \"[^\"]*\"/\"respondBy\": \"$due\"/" $E/followup-request-for-information-cantho.json \
	>"$work/rfi.json"
"$bin" submit -c "$work/cantho.conf" "$work/rfi.json" || fail "request at cantho"
holds longan cantho:3
say "Long An answers the request"
sed -e 's/"cantho:2"/"cantho:3"/' $E/followup-response-longan.json >"$work/response.json"
"$bin" submit -c "$work/longan.conf" "$work/response.json" || fail "response at longan"
holds cantho longan:5

say "The case as Long An sees it: fsbridge case -c longan.conf longan:3"
"$bin" case -c "$work/longan.conf" longan:3 || fail "case at longan"
say "The same case at Cần Thơ, in English: fsbridge case -c cantho.conf longan:3 --lang en"
"$bin" case -c "$work/cantho.conf" longan:3 --lang en || fail "case at cantho"
say "Open cases at Long An: fsbridge cases -c longan.conf --open"
"$bin" cases -c "$work/longan.conf" --open || fail "cases at longan"
say "An agency dashboard reads the case from its broker: cantho/foodsafety/cases/longan:3 (retained)"
for _ in $(seq 50); do
	mosquitto_sub -p "$port" -t 'cantho/foodsafety/cases/longan:3' -C 1 -W 2 2>/dev/null >"$work/case.json"
	grep -q '"answers":1' "$work/case.json" && break
	sleep 0.1
done
grep -q '"answers":1' "$work/case.json" || fail "the case's state was not on the local broker"
cut -c1-400 "$work/case.json"; echo " ..."

say "Long An announces its lemon chain's certificates (VietGAP farm, packing house); Cần Thơ its"
echo "  distributor's, and a non-compliant result on Long An lemons sampled at Cái Răng market"
"$bin" submit -c "$work/longan.conf" $E/certification-vietgap-lemon-farm-longan.json \
	$E/certification-food-safety-lemon-packinghouse-longan.json || fail "certifications at longan"
"$bin" submit -c "$work/cantho.conf" $E/certification-food-safety-lemon-distributor-cantho.json \
	$E/surveillance-chlorpyrifos-lemon-cantho.json || fail "certification and result at cantho"
holds cantho longan:7
holds longan cantho:5

say "fsbridge status: both checkpoints in sync"
for _ in $(seq 50); do
	"$bin" status -c "$work/longan.conf" | grep -q "in sync with this node" &&
		"$bin" status -c "$work/cantho.conf" | grep -q "in sync with this node" && break
	sleep 0.1
done
for o in longan cantho; do
	echo "-- $o"
	"$bin" status -c "$work/$o.conf" | sed -n '/^streams/,$p'
done

say "fsbridge audit verify --full, on both logs"
for o in longan cantho; do
	echo "-- $o"
	"$bin" audit verify -c "$work/$o.conf" --full || fail "audit verify at $o"
done

say "The safe chains as Cần Thơ knows them: fsbridge chains -c cantho.conf"
"$bin" chains -c "$work/cantho.conf" || fail "chains at cantho"
link="https://id.gs1.org/01/08938501234018/10/BL-0711"
say "A Cần Thơ inspector scans a pack of Long An lemons: fsbridge trace -c cantho.conf $link"
"$bin" trace -c "$work/cantho.conf" "$link" || fail "trace at cantho"

say "Stopping the demo's nodes"
for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null; done
for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null; done
pids=("$mpid")
grep -h "stopping" "$work"/longan.log "$work"/cantho.log | sed 's/^/  /'

say "A summer season of the exchange, 1 June to 31 August 2026 (tests/season, fixed seed)"
echo "  both provinces' logs as they would stand after it: surveillance, recalls with their"
echo "  acknowledgements and closures, quarantine notices and an outbreak each, safe chains"
mkdir -p "$work/season"
for o in longan cantho; do
	sed -e "s#^data_dir *= *$work/$o #data_dir = $work/season/$o #" "$work/$o.conf" >"$work/season/$o.conf"
done
"$season" "$work/season/longan.conf" "$work/season/cantho.conf" "$work/season/record.json" \
	"$top/$E" | sed 's/^/  /' || fail "the season generator"
for o in longan cantho; do
	"$bin" run -c "$work/season/$o.conf" 2>"$work/season/$o.log" &
	pids+=("$!")
done
for _ in $(seq 100); do
	"$bin" status -c "$work/season/longan.conf" 2>/dev/null | grep -q "in sync with this node" &&
		"$bin" status -c "$work/season/cantho.conf" 2>/dev/null | grep -q "in sync with this node" && break
	sleep 0.1
done
echo "  the season's nodes are running, each in sync with the other"

report=$work/bao-cao-he-thu-2026
say "The programme report Long An sends the People's Committee: fsbridge report -c longan.conf --from 2026-06-01 --to 2026-08-31"
"$bin" report -c "$work/season/longan.conf" --from 2026-06-01 --to 2026-08-31 || fail "report at longan"
"$bin" report -c "$work/season/longan.conf" --from 2026-06-01 --to 2026-08-31 --format html \
	-o "$report.html" 2>/dev/null || fail "the HTML report"
"$bin" report -c "$work/season/longan.conf" --from 2026-06-01 --to 2026-08-31 --format csv \
	-o "$report.csv" 2>/dev/null || fail "the CSV report"
echo
echo "The report to print and send (A4, charts included): $rel/bao-cao-he-thu-2026.html"
echo "The same figures for a spreadsheet:                 $rel/bao-cao-he-thu-2026.csv"

say "The web view beside the nodes: fsbridge serve -c longan.conf (read-only)"
for web in $(shuf -i 20000-60000 -n 20); do
	"$bin" serve -c "$work/season/longan.conf" --listen "127.0.0.1:$web" 2>"$work/season/serve.log" &
	spid=$!
	for _ in $(seq 40); do
		grep -q "read-only, on" "$work/season/serve.log" 2>/dev/null && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.05
	done
	grep -q "read-only, on" "$work/season/serve.log" && break
done
pids+=("$spid")
grep -q "read-only, on" "$work/season/serve.log" || fail "fsbridge serve would not start"
url=http://127.0.0.1:$web
echo "  $url/healthz -> $(curl -s "$url/healthz")"
echo "  the newest messages, as the feed at $url/ shows them:"
curl -sf "$url/api/feed?limit=5" | grep -o '"id":"[^"]*","origin":"[^"]*","kind":"[^"]*"' |
	sed -e 's/"id":"\([^"]*\)","origin":"\([^"]*\)","kind":"\([^"]*\)"/    \1  \3 from \2/' ||
	fail "the web view's feed"
curl -sf "$url/" | grep -q "Tin trao đổi mới nhất" || fail "the feed page"
q=$(printf '%s' "$link" | sed -e 's#/#%2F#g' -e 's/:/%3A/g')
curl -sf "$url/trace?q=$q" | grep -q "lô BL-0711 ĐANG BỊ THU HỒI" || fail "the trace page"
recall=$(curl -sf "$url/api/feed?kind=recall&limit=1" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
[ -n "$recall" ] && curl -sf "$url/message/$recall" | grep -q "<svg" || fail "the page of a recall"
echo "  the feed (live):  $url/"
echo "  a recall:         $url/message/$recall   (every field in words, its signature, a QR code per product)"
echo "  cases:            $url/cases"
echo "  trace:            $url/trace?q=$q"
echo "  the report:       $url/report?from=2026-06-01&to=2026-08-31"
echo "  the same as JSON: $url/api/feed, /api/message/$recall, /api/cases, /api/trace?q=…"
if [ -t 0 ]; then
	echo
	printf 'Open %s/ in a browser (English: ?lang=en). Press Enter to stop the demo. ' "$url"
	read -r _
fi

say "Stopping the nodes and the broker"
for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null; done
for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null; done
kill "$mpid"; wait "$mpid" 2>/dev/null
pids=()
echo
echo "Done. Replay the logs any time: $bin replay --data $rel/cantho"
echo "The report: $rel/bao-cao-he-thu-2026.html"
