/* targets.h - what the fuzzers feed their input to: the paths input from
 * the network, a submitting system and an operator's file take. Shared by
 * the libFuzzer mains (make fuzz) and the regression test that replays every
 * input a fuzzer ever crashed on (tests/fuzz/regressions/), so a crash once
 * found stays fixed. */
#ifndef FSB_FUZZ_TARGETS_H
#define FSB_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* An envelope off the wire: framing, trust and signature (with the trust
 * store of the PKI directory in $FSB_FUZZ_PKI, when set), payload decode,
 * content rules, JSON and text rendering, control messages; and the links
 * a case is indexed by, read off the bytes, agree with the decoder (abort
 * otherwise). */
int fsb_fuzz_envelope(const uint8_t *data, size_t len);

/* A JSON submission: mapping, rules, packing. */
int fsb_fuzz_json(const uint8_t *data, size_t len);

/* A configuration file. */
int fsb_fuzz_config(const uint8_t *data, size_t len);

/* The sequencer, driven through admissions, runs taken, claims, refusals
 * and time in any order: it must keep its budgets, give every message back
 * exactly once, take runs in order and ask within bounds (abort otherwise). */
int fsb_fuzz_sequence(const uint8_t *data, size_t len);

/* A request to the web view, served over a store of the examples (sealed
 * with $FSB_FUZZ_PKI's key when set): the input is the request target
 * (path and query, bytes as they come), then after a newline the value of
 * a Last-Event-ID header. Whatever it is, the server answers in time with
 * a status it may give, the handler's answers carry the security headers,
 * a page is UTF-8 with no script but the live feed's, JSON parses (abort
 * otherwise). */
int fsb_fuzz_web(const uint8_t *data, size_t len);

#endif
