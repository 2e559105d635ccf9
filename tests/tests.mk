# Tests: cmocka unit tests of user-space code, C targets with known ground
# truth, and integration tests (unittest classes run by pytest) tracing those
# targets. K=NAME runs only the tests whose name contains NAME (pytest -k).

# Unit tests mirror user/'s folders; their binaries share one folder.
UNIT_SRCS := $(wildcard tests/unit/*/test_*.c)
UNIT_BINS := $(addprefix tests/unit/bin/,$(basename $(notdir $(UNIT_SRCS))))
TARGET_SRCS := $(wildcard tests/targets/*.c)
TARGET_BINS := $(patsubst tests/targets/%.c,tests/targets/bin/%,$(TARGET_SRCS))
# Targets keep frame pointers and avoid inlining so ground truth is exact.
TARGET_CFLAGS := -O1 -g -fno-omit-frame-pointer -fno-inline -fno-optimize-sibling-calls \
		 -fno-builtin -Wall -pthread

tests/unit/bin tests/targets/bin:
	@mkdir -p $@

define unit_rule
tests/unit/bin/$(basename $(notdir $(1))): $(1) $$(LIB_OBJS) | tests/unit/bin
	$$(CC) $$(ALL_CFLAGS) -o $$@ $$< $$(LIB_OBJS) $$(LIBS) -lcmocka
endef
$(foreach src,$(UNIT_SRCS),$(eval $(call unit_rule,$(src))))
-include $(UNIT_BINS:=.d)

tests/targets/bin/%: tests/targets/%.c tests/targets/target.h | tests/targets/bin
	$(CC) $(TARGET_CFLAGS) -o $@ $< -lm

# A prefixed toy allocator in its own library, for --lib/--symbol-prefix.
tests/targets/bin/libtoyalloc.so: tests/targets/lib/toyalloc.c | tests/targets/bin
	$(CC) $(TARGET_CFLAGS) -shared -fPIC -o $@ $<

tests/targets/bin/toy_user: tests/targets/toy_user.c tests/targets/target.h tests/targets/bin/libtoyalloc.so
	$(CC) $(TARGET_CFLAGS) -o $@ $< -Ltests/targets/bin -ltoyalloc -Wl,-rpath,'$$ORIGIN'

include tests/sym.mk
targets: $(TARGET_BINS) tests/targets/bin/libtoyalloc.so $(SYM_TARGETS)

K ?=
RUN_TESTS = tests/run $(if $(K),-k '$(K)')

unit-test: $(UNIT_BINS)
	$(RUN_TESTS) --unit

integration-test: leaktrace targets
	$(RUN_TESTS) --integration

# The README's test command: everything, with a closing "N passed, N failed".
test: leaktrace $(UNIT_BINS) targets
	$(RUN_TESTS)

# ASan + UBSan build, then a representative part of the integration tests
# on it (tests/sanitize.sh, SAN_TESTS): any sanitizer report fails.
sanitize-test: targets
	$(MAKE) SANITIZE=1 leaktrace-san
	tests/sanitize.sh

# The allocator that serves malloc, found with no options: jemalloc linked
# in, glibc's malloc in a static musl binary, a prefixed jemalloc-like API
# (je_malloc) in a library next to libc's malloc.
REALWORLD_TARGETS := tests/targets/bin/leak_basic_je tests/targets/bin/toy_user_je
ifneq ($(shell command -v musl-gcc 2>/dev/null),)
REALWORLD_TARGETS += tests/targets/bin/leak_basic_musl
endif
JE_TOY := -Dtoy_malloc=je_malloc -Dtoy_free=je_free -Dtoy_calloc=je_calloc \
	  -Dtoy_realloc=je_realloc

tests/targets/bin/leak_basic_je: tests/targets/leak_basic.c tests/targets/target.h | tests/targets/bin
	$(CC) $(TARGET_CFLAGS) -o $@ $< -ljemalloc

tests/targets/bin/leak_basic_musl: tests/targets/leak_basic.c tests/targets/target.h | tests/targets/bin
	musl-gcc $(TARGET_CFLAGS) -static -o $@ $<

tests/targets/bin/libjetoy.so: tests/targets/lib/toyalloc.c | tests/targets/bin
	$(CC) $(TARGET_CFLAGS) $(JE_TOY) -shared -fPIC -o $@ $<

tests/targets/bin/toy_user_je: tests/targets/toy_user.c tests/targets/target.h tests/targets/bin/libjetoy.so
	$(CC) $(TARGET_CFLAGS) $(JE_TOY) -o $@ $< -Ltests/targets/bin -ljetoy -Wl,-rpath,'$$ORIGIN'
targets: $(REALWORLD_TARGETS)
tests/unit/bin/test_allocator: $(REALWORLD_TARGETS) tests/targets/bin/leak_basic tests/targets/bin/busy_threads

# Unwind tables: a fixture whose CFI is only in .debug_frame (frame
# pointers kept, so its rows are rbp-based).
tests/unit/bin/unwind_fixture_debug_frame.so: tests/unit/unwind/fixtures/frames.c | tests/unit/bin
	$(CC) -O2 -g -fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
		-fno-unwind-tables -shared -fPIC -o $@ $<
# Stand-ins of Go's runtime stack switches, for the rows that replace Go's.
tests/unit/bin/unwind_fixture_go.so: tests/unit/unwind/fixtures/go_switch.c | tests/unit/bin
	$(CC) -O2 -shared -fPIC -o $@ $<
tests/unit/bin/test_unwind_table: tests/unit/bin/unwind_fixture_debug_frame.so \
	tests/unit/bin/unwind_fixture_go.so

# Targets built as users build: -O2, no frame pointers, inlining on; only
# CFI unwinds them (tests/integration/test_unwind.py, gdb as the oracle).
O2_TARGET_CFLAGS := -O2 -g -fomit-frame-pointer -Wall -pthread
O2_TARGETS := tests/targets/bin/unwind_c tests/targets/bin/unwind_c_nopie \
	      tests/targets/bin/unwind_c_stripped
tests/targets/bin/unwind_c: tests/targets/o2/unwind_c.c tests/targets/target.h | tests/targets/bin
	$(CC) $(O2_TARGET_CFLAGS) -o $@ $<
tests/targets/bin/unwind_c_nopie: tests/targets/o2/unwind_c.c tests/targets/target.h | tests/targets/bin
	$(CC) $(O2_TARGET_CFLAGS) -no-pie -fno-pie -o $@ $<
# Stripped: no symbols, no debug info; its .eh_frame stays.
tests/targets/bin/unwind_c_stripped: tests/targets/bin/unwind_c
	strip -o $@ $<
tests/targets/bin/libunwind_late.so: tests/targets/o2/unwind_late.c | tests/targets/bin
	$(CC) $(O2_TARGET_CFLAGS) -shared -fPIC -o $@ $<
targets: $(O2_TARGETS) tests/targets/bin/libunwind_late.so
tests/targets/bin/unwind_cxx: tests/targets/o2/unwind_cxx.cc tests/targets/target.h | tests/targets/bin
	$(CXX) -O2 -g -fomit-frame-pointer -Wall -o $@ $<
targets: tests/targets/bin/unwind_cxx
