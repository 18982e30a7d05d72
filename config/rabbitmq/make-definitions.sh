#!/usr/bin/env bash
# make-definitions.sh - RabbitMQ definitions (users and rights) for the
# provinces of an exchange, for rabbitmq.conf's load_definitions:
#
#   config/rabbitmq/make-definitions.sh longan cantho ... >definitions.json
#
# One user per province, named as its TLS client certificate's CN (its
# origin), with no password (mqtt.ssl_cert_login). On the MQTT plugin's
# queues and exchange it may do what an MQTT client does; on topics (routing
# keys, "/" becoming "."), as exchange.acl says for Mosquitto: it reads the
# whole exchange and writes only under foodsafety/v1/{its origin}/.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: make-definitions.sh ORIGIN..." >&2; exit 2; }
for origin in "$@"; do
	if ! [[ $origin =~ ^[a-z0-9-]{1,32}$ ]]; then
		echo "make-definitions.sh: \"$origin\" is not an origin ([a-z0-9-], 1 to 32 characters)" >&2
		exit 2
	fi
done
users="" perms="" topics="" sep=""
q='\\.' # an escaped dot in the JSON of a regular expression
for origin in "$@"; do
	users+="$sep
  {\"name\": \"$origin\", \"password_hash\": \"\", \"hashing_algorithm\": \"rabbit_password_hashing_sha256\", \"tags\": []}"
	perms+="$sep
  {\"user\": \"$origin\", \"vhost\": \"/\", \"configure\": \"^mqtt-subscription-\", \"write\": \"^(amq${q}topic|mqtt-subscription-.*)\$\", \"read\": \"^(amq${q}topic|mqtt-subscription-.*)\$\"}"
	topics+="$sep
  {\"user\": \"$origin\", \"vhost\": \"/\", \"exchange\": \"amq.topic\", \"write\": \"^foodsafety${q}v1${q}$origin${q}\", \"read\": \"^foodsafety${q}v1${q}\"}"
	sep=","
done
printf '{\n"vhosts": [{"name": "/"}],\n"users": [%s\n],\n"permissions": [%s\n],\n"topic_permissions": [%s\n]\n}\n' \
	"$users" "$perms" "$topics"
