# leaktrace: eBPF leak tracer.  `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man/man8

ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
SUPPORTED_ARCHS := x86
ifeq ($(filter $(ARCH),$(SUPPORTED_ARCHS)),)
$(error ARCH=$(ARCH) is not supported: leaktrace builds for $(SUPPORTED_ARCHS) (another needs its vmlinux/ARCH/vmlinux.h and arch headers))
endif
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= gcc
VERSION := 0.1.0

OUT := build
BIN := leaktrace
# SANITIZE=1: ASan and UBSan, in build-san/ and ./leaktrace-san so the
# normal build is left alone; any report stops the program (tests fail).
SAN_CFLAGS :=
ifeq ($(SANITIZE),1)
OUT := build-san
BIN := leaktrace-san
SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer
LDFLAGS += $(SAN_CFLAGS)
endif
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

# CFLAGS replaces the optimisation and debug flags; EXTRA_CFLAGS adds to
# the flags the build needs, which neither can drop.
CFLAGS ?= -O2 -g
EXTRA_CFLAGS ?=
LT_CFLAGS := -Wall -Wextra -Wno-unused-parameter -std=gnu11 \
	  -D_GNU_SOURCE -DLEAKTRACE_VERSION='"$(VERSION)"' \
	  -DLT_ARCH_$(ARCH) -I$(OUT) -Ibpf -Iuser -MMD -MP
ALL_CFLAGS = $(LT_CFLAGS) $(CFLAGS) $(SAN_CFLAGS) $(EXTRA_CFLAGS)
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -I$(dir $(VMLINUX)) -Ibpf -Wall -Wno-unused-function

LIBS := -lbpf -lelf -ldw -lz -lcapstone -liberty -lm
ifeq ($(STATIC),1)
# A self-contained binary for production hosts: BPF is embedded in the
# skeleton, libraries are linked statically.
LDFLAGS += -static
LIBS := -lbpf -ldw -lelf -lz -llzma -lbz2 -lzstd -lpthread -ldl -lcapstone -liberty -lm
endif

# Debian packages needed to build, test and run the demo.
DEPS := clang llvm libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev \
	libcmocka-dev libcapstone-dev libiberty-dev pkg-config make gcc python3 \
	python3-flask gunicorn cppcheck clang-format util-linux procps \
	liblzma-dev libbz2-dev libzstd-dev \
	libdebuginfod1 debuginfod \
	golang-go chromium chromium-driver python3-jsonschema \
	python3-pytest python3-pytest-timeout libclang-rt-14-dev \
	libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev musl-tools \
	g++ gdb python3-dev rustc uwsgi-core uwsgi-plugin-python3

# user/ is grouped by subsystem, one folder each; objects mirror it in $(OUT).
USER_DIRS := cli core kernel sym python report export lib unwind
USER_SRCS := $(foreach d,$(USER_DIRS),$(wildcard user/$(d)/*.c))
USER_HDRS := $(foreach d,$(USER_DIRS),$(wildcard user/$(d)/*.h))
# Files embedded with .incbin (the flame graph's style and script).
USER_ASM := $(foreach d,$(USER_DIRS),$(wildcard user/$(d)/*.S))
USER_OBJS := $(patsubst user/%.c,$(OUT)/user/%.o,$(USER_SRCS)) \
	     $(patsubst user/%.S,$(OUT)/user/%.o,$(USER_ASM))
# Everything but main.c is linked into the unit tests as well.
LIB_OBJS := $(filter-out $(OUT)/user/cli/main.o,$(USER_OBJS))

.PHONY: all clean deps bench-deps test unit-test integration-test sanitize-test install uninstall \
	lint bench demo vmlinux help targets

all: $(BIN)

help:
	@echo "make               build ./leaktrace"
	@echo "make STATIC=1      build a self-contained static binary"
	@echo "make SANITIZE=1    build ./leaktrace-san with ASan and UBSan (in build-san/)"
	@echo "make sanitize-test integration tests on ./leaktrace-san, failing on any report"
	@echo "make fuzz          build the libFuzzer harnesses; make fuzz-run runs each briefly"
	@echo "make deps          install the Debian packages needed (idempotent)"
	@echo "make test          build and run unit and integration tests (root)"
	@echo "make test K=NAME   only the tests whose name contains NAME (pytest -k)"
	@echo "make demo          trace the bundled leaky demo service (root)"
	@echo "make bench         run the overhead benchmarks (root; installs bench-deps)"
	@echo "make bench-footprint  memory and report time at 1 M blocks, 100 k stacks (root)"
	@echo "make lint          clang-format check and cppcheck"
	@echo "make install       install binary and man page (PREFIX, DESTDIR)"
	@echo "make vmlinux       regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel"

$(OUT):
	@mkdir -p $@

$(OUT)/leaktrace.bpf.o: bpf/leaktrace.bpf.c $(VMLINUX) | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

-include $(OUT)/leaktrace.bpf.d

$(OUT)/leaktrace.skel.h: $(OUT)/leaktrace.bpf.o
	$(BPFTOOL) gen skeleton $< name leaktrace_bpf > $@

# Header dependencies come from the compiler (-MMD); the skeleton is
# generated, so every object waits for it on the first build.
$(OUT)/user/%.o: user/%.c $(OUT)/leaktrace.skel.h | $(OUT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUT)/user/export/flamegraph_assets.o: user/export/flamegraph_assets.S \
		user/export/flamegraph.css user/export/flamegraph.js | $(OUT)
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

-include $(USER_OBJS:.o=.d)

# libbpf's hash map, vendored as it is: its <linux/err.h> is our shim.
$(OUT)/user/lib/hashmap.o: LT_CFLAGS += -Iuser/lib/compat

$(BIN): $(USER_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

vmlinux:
	@mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

# Installs the Debian packages of the list $(1) that are missing.
define apt_missing
	@missing=""; for p in $(1); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make $@: installing$$missing" >&2; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "make $@: all Debian packages present" >&2; fi
endef

deps:
	$(call apt_missing,$(DEPS))

include tests/tests.mk
include tests/fuzz/fuzz.mk
include bench/bench.mk

install: $(BIN)
	install -D -m 0755 leaktrace $(DESTDIR)$(BINDIR)/leaktrace
	install -D -m 0644 man/leaktrace.8 $(DESTDIR)$(MANDIR)/leaktrace.8

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/leaktrace $(DESTDIR)$(MANDIR)/leaktrace.8

LINT_SRCS := $(USER_SRCS) $(USER_HDRS) $(wildcard bench/*.c) user/lib/compat/linux/err.h $(wildcard bpf/*.c bpf/*.h tests/targets/*.c tests/targets/*.h tests/targets/lib/*.c tests/unit/*/*.c tests/fuzz/*.c tests/targets/o2/*.c tests/unit/*/fixtures/*.c tests/targets/py/cext/*.c tests/targets/runtimes/*.c)
lint:
	clang-format --dry-run --Werror $(LINT_SRCS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -I user -I bpf $(USER_SRCS)

demo:
	$(MAKE) deps
	$(MAKE) all
	./demo/run-demo.sh

bench: leaktrace $(OUT)/bench/uprobe_floor bench-deps
	@echo "bench: uprobe floor by instruction; malloc/free loop untraced, count-only probes, leaktrace (placed, at entries)" >&2
	./bench/run.sh
	@echo "bench: C loop, Python, Flask: untraced, leaktrace exact and sampled, memleak-bpfcc, bpftrace" >&2
	./bench/compare.sh

clean:
	rm -rf build build-san build-fuzz leaktrace leaktrace-san tests/targets/bin tests/unit/bin tests/fuzz/bin
