# fsbridge - one non-recursive Makefile.
#
#   make            build build/fsbridge (generated protobuf-c code in build/gen)
#   make deps       install the Debian packages the project needs (root)
#   make test       deps + build + every test
#   make asan       the same tests under address and undefined sanitizers
#   make test-faults, test-attacks   faults injected; the exchange under attack
#   make test-scale  provinces on RabbitMQ (installed by it)
#   make demo       what fsbridge does so far, shown on the example messages
#   make bench      the benchmarks, against this machine's own ceilings
#   make clean
#
# BUILD selects the output tree, so the sanitizer build lives beside the
# normal one (build/asan) and never mixes objects with it.

VERSION  := 0.1.0
BUILD    ?= build
GEN      := $(BUILD)/gen
CC       ?= cc

# The Debian packages of the libraries fsbridge links (Paho MQTT C, mbedTLS,
# protobuf-c, LMDB, libmicrohttpd, libqrencode), of the tests (Criterion, Mosquitto), and
# what the build and tests also use: jansson (JSON), inih (the config file),
# pkg-config, openssl (the demo PKI), protoc (the interoperability test),
# clang with its libFuzzer runtime (make fuzz), Chromium and poppler's
# pdftotext (the report printed by a real browser and read back), zbarimg
# (the web view's QR codes read back from a screenshot), curl (the demo asks
# the web view).
DEB_PACKAGES := build-essential pkg-config \
	libprotobuf-c-dev protobuf-c-compiler libjansson-dev libinih-dev \
	libmbedtls-dev libpaho-mqtt-dev liblmdb-dev libmicrohttpd-dev libqrencode-dev \
	libcriterion-dev mosquitto mosquitto-clients openssl protobuf-compiler \
	clang libclang-rt-14-dev valgrind chromium poppler-utils zbar-tools curl

PKGS     := libprotobuf-c jansson inih lmdb libmicrohttpd libqrencode
WARN     := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2
ifneq ($(CI),)
ifneq ($(SAN),fuzz)
WARN     += -Werror
endif
endif
ifeq ($(SAN),fuzz)
SANFLAGS := -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer
OPT      := -O1 -g
else ifneq ($(SAN),)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
OPT      := -O1 -g
else
OPT      := -O2 -g
endif

CPPFLAGS := -D_XOPEN_SOURCE=700 -DFSB_VERSION='"$(VERSION)"' \
	-Ibridge -I$(GEN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CFLAGS   := $(OPT) $(WARN) $(SANFLAGS) -pthread -MMD -MP
LDFLAGS  := $(SANFLAGS) -pthread
# mbedTLS 2.28 and Paho ship no pkg-config file.
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpaho-mqtt3as \
	-lmbedtls -lmbedx509 -lmbedcrypto

PROTOS   := $(wildcard schemas/foodsafety/v1/*.proto)
GEN_C    := $(patsubst schemas/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
GEN_H    := $(GEN_C:.c=.h)

LIB_SRC  := $(filter-out bridge/main.c,$(wildcard bridge/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) \
	$(patsubst $(GEN)/%.c,$(GEN)/%.o,$(GEN_C))
BIN      := $(BUILD)/fsbridge

TEST_SRC := $(wildcard tests/unit/*.c tests/integration/*.c) tests/fuzz/targets.c
TEST_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC))
TEST_BIN := $(BUILD)/tests/unit_tests
TEST_PKI := $(BUILD)/tests/pki
TEST_CPPFLAGS := -DFSB_TOP_DIR='"$(CURDIR)"' -DFSB_BIN='"$(CURDIR)/$(BIN)"' \
	-DFSB_TEST_PKI='"$(CURDIR)/$(TEST_PKI)"' -DFSB_SEASON='"$(CURDIR)/$(BUILD)/season"' \
	$(shell pkg-config --cflags criterion 2>/dev/null)
TEST_LDLIBS := $(shell pkg-config --libs criterion 2>/dev/null)

.PHONY: all deps test asan valgrind valgrind-run test-faults faults-run test-attacks attacks-run \
	test-scale scale-run \
	demo fuzz fuzz-run clean check-run bench bench-run
# Generated sources and objects are kept, never deleted as intermediates.
.SECONDARY:
all: $(BIN)

# Installs the Debian packages given that are missing (apt-get, as root).
define install_debs
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make: missing Debian packages:$$missing (run 'make $@' as root)" >&2; exit 1; fi; \
	echo "make: installing$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing
endef

deps:
	$(call install_debs,$(DEB_PACKAGES))

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: schemas/%.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -Ischemas $<

# Generated code is not ours to fix: keep the warnings, never fail on them.
$(GEN)/%.o: $(GEN)/%.c | $(GEN_H)
	$(CC) $(CPPFLAGS) $(OPT) $(SANFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BIN): $(BUILD)/bridge/main.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(TEST_BIN): $(TEST_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LDLIBS)

# Runs every test of this build tree. The unit binary also drives the CLI
# (build/fsbridge), so both are built first. Each run makes its own
# throwaway PKIs: the trusted one and a second, untrusted one.
# A sanitizer report (a leak is reported after a test has passed) fails the
# run too.
check-run: $(BIN) $(TEST_BIN) $(BUILD)/season
	@certs/make-demo-pki.sh $(TEST_PKI) >/dev/null
	@certs/make-demo-pki.sh $(TEST_PKI)-other "fsbridge untrusted test CA" >/dev/null
	@$(TEST_BIN) --jobs=2 >$(BUILD)/tests/run.log 2>&1; status=$$?; \
	cat $(BUILD)/tests/run.log; \
	if grep -q 'Sanitizer' $(BUILD)/tests/run.log; then \
	  echo "make: sanitizer reports in $(BUILD)/tests/run.log" >&2; exit 1; fi; \
	exit $$status

test: deps
	@$(MAKE) --no-print-directory check-run

# Valgrind memcheck on the unit test suites that run the library in-process
# (the suites that drive the binary or a broker are covered by make asan).
# Criterion counts a test as passed even when valgrind reports an error in
# its worker, so any valgrind report fails the run.
VALGRIND_SUITES := format codec json validate seal mutation fuzz_regressions sequence resend mem audit caseidx \
	trace report_query render_web
valgrind-run: $(BIN) $(TEST_BIN)
	@certs/make-demo-pki.sh $(TEST_PKI) >/dev/null
	@certs/make-demo-pki.sh $(TEST_PKI)-other "fsbridge untrusted test CA" >/dev/null
	@rm -f $(BUILD)/tests/valgrind.log; status=0; \
	for s in $(VALGRIND_SUITES); do \
	  valgrind --quiet --trace-children=yes --trace-children-skip='*/sh,*/openssl,*/protoc' \
	    --leak-check=full --errors-for-leak-kinds=definite \
	    $(TEST_BIN) --filter "$$s/*" >>$(BUILD)/tests/valgrind.log 2>&1 || status=1; \
	done; \
	grep -E 'Synthesis|^==[0-9]+== ' $(BUILD)/tests/valgrind.log; \
	if grep -qE '^==[0-9]+== ' $(BUILD)/tests/valgrind.log; then \
	  echo "make: valgrind reports in $(BUILD)/tests/valgrind.log" >&2; exit 1; fi; \
	exit $$status

valgrind: deps
	@$(MAKE) --no-print-directory valgrind-run

# The fault-injection suite: real processes killed, a broker restarted, a
# 60 s partition, a full disk, a split between the nodes (tests/faults/).
# Prints a summary table.
FAULT_SRC := tests/faults/test_faults.c tests/attacks/attacker.c tests/integration/harness.c \
	tests/unit/helpers.c
FAULT_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(FAULT_SRC))
FAULT_BIN := $(BUILD)/tests/fault_tests

$(FAULT_BIN): $(FAULT_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LDLIBS)

faults-run: $(BIN) $(FAULT_BIN)
	@certs/make-demo-pki.sh $(TEST_PKI) >/dev/null
	@certs/make-demo-pki.sh $(TEST_PKI)-other "fsbridge untrusted test CA" >/dev/null
	@rm -f $(BUILD)/tests/faults-summary.txt
	@$(FAULT_BIN) --jobs=1; status=$$?; \
	echo; echo "fault                                injected submitted delivered dup-stored  lost  converged"; \
	cat $(BUILD)/tests/faults-summary.txt; exit $$status

test-faults: deps
	@$(MAKE) --no-print-directory faults-run

# The attack suite: a hostile province and a client on a listener without
# ACL against real nodes and a real broker (tests/attacks/). Prints a
# summary table.
ATTACK_SRC := $(wildcard tests/attacks/*.c) tests/integration/harness.c tests/unit/helpers.c
ATTACK_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(ATTACK_SRC))
ATTACK_BIN := $(BUILD)/tests/attack_tests

$(ATTACK_BIN): $(ATTACK_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LDLIBS)

attacks-run: $(BIN) $(ATTACK_BIN)
	@certs/make-demo-pki.sh $(TEST_PKI) >/dev/null
	@certs/make-demo-pki.sh $(TEST_PKI)-other "fsbridge untrusted test CA" >/dev/null
	@rm -f $(BUILD)/tests/attacks-summary.txt
	@$(ATTACK_BIN) --jobs=1 >$(BUILD)/tests/attacks.log 2>&1; status=$$?; \
	cat $(BUILD)/tests/attacks.log; \
	if grep -q 'Sanitizer' $(BUILD)/tests/attacks.log; then \
	  echo "make: sanitizer reports in $(BUILD)/tests/attacks.log" >&2; status=1; fi; \
	echo; echo "attack                                           sent  rejected   outcome"; \
	cat $(BUILD)/tests/attacks-summary.txt; exit $$status

test-attacks: deps
	@$(MAKE) --no-print-directory attacks-run

# Many provinces and the brokers an exchange grows into (tests/scale/):
# RabbitMQ's MQTT plugin, started by the tests on free loopback ports.
SCALE_SRC := $(wildcard tests/scale/*.c) tests/integration/harness.c tests/unit/helpers.c
SCALE_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(SCALE_SRC))
SCALE_BIN := $(BUILD)/tests/scale_tests
SCALE_PACKAGES := rabbitmq-server socat
# The provinces of the many-province tests, each certified by the scale run's PKI.
SCALE_ORIGINS = $(shell cat tests/scale/provinces.txt)

$(SCALE_BIN): $(SCALE_OBJ) $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LDLIBS)

scale-run: $(BIN) $(SCALE_BIN)
	@ORIGINS="$(SCALE_ORIGINS)" certs/make-demo-pki.sh $(TEST_PKI) >/dev/null
	@certs/make-demo-pki.sh $(TEST_PKI)-other "fsbridge untrusted test CA" >/dev/null
	@$(SCALE_BIN) --jobs=1

test-scale: deps
	$(call install_debs,$(SCALE_PACKAGES))
	@$(MAKE) --no-print-directory scale-run

asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan SAN=1 check-run

# Fuzzing: libFuzzer targets built with clang into build/fuzz, seeded from
# the examples and configurations; each runs FUZZ_SECONDS. An input that
# crashes is saved by libFuzzer; put it in tests/fuzz/regressions/TARGET/ so
# the unit tests replay it for ever.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := envelope json config sequence web
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/targets.o $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

$(BUILD)/fuzz/make_seeds: $(BUILD)/tests/fuzz/make_seeds.o $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

fuzz-run: $(FUZZ_BINS) $(BUILD)/fuzz/make_seeds
	@certs/make-demo-pki.sh $(BUILD)/fuzz/pki >/dev/null
	@rm -rf $(BUILD)/fuzz/seeds && mkdir -p $(addprefix $(BUILD)/fuzz/seeds/,$(FUZZ_TARGETS))
	@$(BUILD)/fuzz/make_seeds $(BUILD)/fuzz/pki schemas/examples config $(BUILD)/fuzz/seeds
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(BUILD)/fuzz/corpus/$$t tests/fuzz/regressions/$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  FSB_FUZZ_PKI=$(BUILD)/fuzz/pki $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/crash-$$t- \
	    $(BUILD)/fuzz/corpus/$$t $(BUILD)/fuzz/seeds/$$t tests/fuzz/regressions/$$t \
	    2>$(BUILD)/fuzz/$$t.log || { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
	  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' $(BUILD)/fuzz/$$t.log; \
	done

fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang SAN=fuzz fuzz-run

# Benchmarks (tests/bench/): the machine's ceilings and fsbridge against
# them, in one run; a table on stdout, JSON (and a PNG when gnuplot is
# there) in tests/bench/results/.
BENCH_TOOLS := $(BUILD)/bench/ceilings $(BUILD)/bench/benchtool $(BUILD)/bench/httpload

$(BUILD)/bench/ceilings: $(BUILD)/tests/bench/ceilings.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/benchtool: $(BUILD)/tests/bench/benchtool.o $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/httpload: $(BUILD)/tests/bench/httpload.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^

# A season of the exchange (tests/season/): the report's tests and the demo.
SEASON := $(BUILD)/season

$(SEASON): $(BUILD)/tests/season/season.o $(LIB_OBJ)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The many-province rows come from the Mosquitto cases of the scale suite,
# on the PKI it needs.
bench-run: $(BIN) $(BENCH_TOOLS) $(SCALE_BIN)
	@ORIGINS="$(SCALE_ORIGINS)" certs/make-demo-pki.sh $(TEST_PKI) >/dev/null
	@tests/bench/bench.sh $(BIN) $(BUILD)/bench $(SCALE_BIN)

# gnuplot draws the results as a PNG; socat relays the cut provinces of the
# scale cases.
BENCH_PACKAGES := gnuplot-nox socat

bench: deps
	$(call install_debs,$(BENCH_PACKAGES))
	@$(MAKE) --no-print-directory bench-run

demo: deps
	@$(MAKE) --no-print-directory $(BIN) $(BUILD)/season
	@tests/demo/demo.sh $(BIN) $(BUILD)/season

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(FAULT_OBJ:.o=.d) $(ATTACK_OBJ:.o=.d) \
	$(SCALE_OBJ:.o=.d) $(BUILD)/bridge/main.d \
	$(wildcard $(BUILD)/tests/bench/*.d) $(wildcard $(BUILD)/tests/season/*.d) \
	$(wildcard $(BUILD)/tests/fuzz/*.d)
