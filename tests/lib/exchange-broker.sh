# exchange-broker.sh - sourced by the demo and the benchmarks: Mosquitto
# with config/mosquitto/exchange.conf (TLS listener with client certificates
# and the ACL, plain listener for the agency side) on free loopback ports.
#
# start_exchange_broker TOP WORKDIR PKIDIR
#   TOP is the project root, PKIDIR holds what certs/make-demo-pki.sh made.
#   Writes WORKDIR/mosquitto.{conf,log}; sets mpid, port (plain) and tls.
#   Returns 1 when no port pair would do.
start_exchange_broker() {
	local top=$1 work=$2 pki=$3
	for port in $(shuf -i 20000-60000 -n 30); do
		tls=$((port + 1))
		sed -e "s/^listener 8883 /listener $tls /" -e "s/^listener 1883 /listener $port /" \
			-e "s#certs/demo/#$pki/#" -e "s#config/mosquitto/#$top/config/mosquitto/#" \
			"$top/config/mosquitto/exchange.conf" >"$work/mosquitto.conf"
		mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
		mpid=$!
		sleep 0.3
		kill -0 "$mpid" 2>/dev/null && return 0
	done
	return 1
}
