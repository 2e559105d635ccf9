# libFuzzer harnesses of the parsers of untrusted input (make fuzz), run
# briefly by CI (make fuzz-run; FUZZ_SECONDS each). Built with clang's
# -fsanitize=fuzzer plus ASan and UBSan, from their own objects in
# build-fuzz/ so the normal build is left alone.
#
# One harness per parser: tests/fuzz/fuzz_NAME.c, seeds in
# tests/fuzz/corpus/NAME/.
FUZZERS := procmaps perfmap pylines pycode elf census_walk census_holders demangle \
	unwind_table
FUZZ_OUT := build-fuzz
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(patsubst $(OUT)/%,$(FUZZ_OUT)/%,$(LIB_OBJS))
FUZZ_BINS := $(addprefix tests/fuzz/bin/fuzz_,$(FUZZERS))
FUZZ_SECONDS ?= 20

.PHONY: fuzz fuzz-run

$(FUZZ_OUT)/user/%.o: user/%.c $(OUT)/leaktrace.skel.h
	@mkdir -p $(dir $@)
	$(CLANG) $(LT_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# The flame graph's embedded assets: no code to instrument.
$(FUZZ_OUT)/user/%.o: user/%.S
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@
$(FUZZ_OUT)/user/export/flamegraph_assets.o: user/export/flamegraph.css \
	user/export/flamegraph.js

-include $(FUZZ_LIB_OBJS:.o=.d)
$(FUZZ_OUT)/user/lib/hashmap.o: LT_CFLAGS += -Iuser/lib/compat

tests/fuzz/bin/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CLANG) $(LT_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_LIB_OBJS) $(LIBS)

fuzz: $(FUZZ_BINS)

# Replays every corpus input (the regression tests), then fuzzes each
# harness for FUZZ_SECONDS; any crash fails. "N passed, N failed" at the end.
fuzz-run: fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh $(FUZZERS)
