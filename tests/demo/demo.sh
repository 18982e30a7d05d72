#!/usr/bin/env bash
# demo.sh - what `make demo` shows at this stage of the project: the demo
# PKI, node configurations, the message model and its validation. The two-node exchange replaces it when the node
# lands (see README "What works so far").
set -u
bin=$(realpath "${1:-build/fsbridge}")
cd "$(dirname "$0")/../.." || exit 1
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "A demo PKI: exchange CA, CRL, certificates for longan, cantho, angiang"
certs/make-demo-pki.sh || exit 1

say "fsbridge check: each node's configuration, key and certificates"
for node in longan cantho; do
	"$bin" check -c "config/$node.conf" >/dev/null 2>&1 && echo "config/$node.conf: OK" ||
		{ "$bin" check -c "config/$node.conf"; exit 1; }
done

say "fsbridge $("$bin" --version | cut -d' ' -f2): example messages from Long An and Cần Thơ"
"$bin" validate schemas/examples/*.json 2>&1 || exit 1

say "A recall with mistakes: every problem, with its field path (exit status 1)"
"$bin" validate tests/demo/broken-recall.json 2>&1
status=$?
echo "exit status: $status"
[ "$status" -eq 1 ] || exit 1

say "Long An submits: a surveillance result, a quarantine notice, a recall, a follow-up"
rm -rf var/longan
E=schemas/examples
"$bin" submit -c config/longan.conf $E/surveillance-vietgap-dragonfruit-longan.json \
	$E/quarantine-pig-certificate-issued-longan.json $E/recall-ocop-sausage-class1-longan.json \
	$E/followup-distribution-update-longan.json || exit 1

say "The audit log, as an auditor replays it (the recall)"
"$bin" replay -c config/longan.conf --kind recall 2>&1 | head -24
echo "    …"

say "audit verify --full: local chain, stream links, every signature"
"$bin" audit verify -c config/longan.conf --full || exit 1

say "A follow-up given as a bare body, its kind on the command line"
"$bin" validate --kind followup - 2>&1 <<'JSON'
{"type": "FOLLOW_UP_TYPE_CLOSURE", "refMessageId": "longan:3", "reason": "Đã tiêu hủy toàn bộ"}
JSON
echo "(a bare body has no header: the issuing unit and category are required)"
exit 0
